//! Prometheus metrics, off unless `METRICS_ADDR` is set: then the counters and histograms the
//! service records (through the `metrics` facade) are rendered by `metrics-exporter-prometheus`
//! at `GET /metrics` on that address, a listener of its own (never on the public one).
//!
//! What is counted (no username, address or secret is ever a label):
//! - `sign_in_steps_total{factor, outcome}`, `second_factor_locks_total`, `security_events_total{event}`
//!   (`domain::storage::security_log`);
//! - `throttled_attempts_total` (every 429);
//! - `forward_auth_decisions_total{outcome}` (the gate);
//! - `oidc_token_requests_total{grant, outcome}`;
//! - `security_key_ceremonies_total{ceremony, outcome}`;
//! - `http_request_duration_seconds{family}` (gate, oidc, api, page, static, health);
//! - `db_pool_connections{pool, state}` (read at each scrape), `build_info{version}`.

use crate::startup::error::StartupError;
use axum::{routing::get, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::AnyPool;
use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
};
use tokio::net::TcpListener;

/// The recorder is the process's (the `metrics` facade has one): the first server of a process
/// installs it, and later ones (tests) render the same.
fn handle() -> Result<PrometheusHandle, StartupError> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0])
        .map_err(|e| StartupError::Config(format!("metrics: {e}")))?
        .build_recorder();
    let handle = recorder.handle();
    // Another recorder already installed (none is, outside tests) only leaves these unrecorded.
    let _ = metrics::set_global_recorder(recorder);
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// Binds `METRICS_ADDR` and serves `/metrics` there until the process ends.
pub async fn serve(address: SocketAddr, pools: [(&'static str, AnyPool); 2]) -> Result<SocketAddr, StartupError> {
    let handle = handle()?;
    metrics::gauge!("build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let listener = TcpListener::bind(address).await.map_err(|e| StartupError::Listen { address, source: e })?;
    let bound = listener.local_addr().map_err(|e| StartupError::Listen { address, source: e })?;
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let (handle, pools) = (handle.clone(), pools.clone());
            async move {
                for (name, pool) in &pools {
                    let idle = pool.num_idle() as f64;
                    let size = f64::from(pool.size());
                    metrics::gauge!("db_pool_connections", "pool" => *name, "state" => "idle").set(idle);
                    metrics::gauge!("db_pool_connections", "pool" => *name, "state" => "in_use").set(size - idle);
                }
                handle.render()
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    tracing::info!("metrics on http://{bound}/metrics");
    Ok(bound)
}

/// The route families of the duration histogram (a few fixed values: a label never holds a
/// path).
const FAMILIES: [&str; 6] = ["gate", "oidc", "api", "page", "static", "health"];

/// The duration histogram, one handle per family, registered once: recording a request is then
/// one lookup-free call (the forward-auth budget holds with metrics on).
pub struct RequestDurations([metrics::Histogram; 6]);

impl RequestDurations {
    /// Call after `serve` installed the recorder.
    pub fn register() -> Self {
        Self(FAMILIES.map(|family| metrics::histogram!("http_request_duration_seconds", "family" => family)))
    }

    pub fn record(&self, path: &str, seconds: f64) {
        let family = family(path);
        if let Some(index) = FAMILIES.iter().position(|f| *f == family) {
            self.0[index].record(seconds);
        }
    }
}

/// The gate's decisions, one counter handle per outcome, registered once (no recorder: no-ops).
#[derive(Clone)]
pub struct GateDecisions(Arc<[metrics::Counter; 5]>);

/// The outcomes `GateDecisions` counts.
#[derive(Clone, Copy)]
pub enum GateOutcome {
    Admitted = 0,
    SignInFirst = 1,
    Refused = 2,
    BadTarget = 3,
    Unavailable = 4,
}

impl GateDecisions {
    pub fn register() -> Self {
        let outcomes = ["admitted", "sign_in_first", "refused", "bad_target", "unavailable"];
        Self(Arc::new(outcomes.map(|outcome| metrics::counter!("forward_auth_decisions_total", "outcome" => outcome))))
    }

    pub fn count(&self, outcome: GateOutcome) {
        self.0[outcome as usize].increment(1);
    }
}

/// The family of a request path, for the duration histogram (a few fixed values: a label never
/// holds a path).
fn family(path: &str) -> &'static str {
    if path.starts_with("/api/authz/") {
        "gate"
    } else if path.starts_with("/oidc/") || path.starts_with("/.well-known/") {
        "oidc"
    } else if path.starts_with("/api/") {
        "api"
    } else if path.starts_with("/pkg/") {
        "static"
    } else if path == "/healthz" || path == "/readyz" {
        "health"
    } else {
        "page"
    }
}
