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
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};
use tokio::net::TcpListener;

/// The recorder is the process's (the `metrics` facade has one): the first server of a process
/// installs it, and later ones (tests) render the same.
fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return handle.clone();
    }
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    // Another recorder already installed (none is, outside tests) only leaves these unrecorded.
    let _ = metrics::set_global_recorder(recorder);
    HANDLE.get_or_init(|| handle).clone()
}

/// Binds `METRICS_ADDR` and serves `/metrics` there until the process ends.
pub async fn serve(address: SocketAddr, pools: [(&'static str, AnyPool); 2]) -> Result<SocketAddr, StartupError> {
    let handle = handle();
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
                handle.render() + &RequestDurations::register().render()
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

/// The upper bounds (seconds) of the duration histogram's buckets.
const BOUNDS: [f64; 13] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// `http_request_duration_seconds`, kept here rather than in the exporter: a fixed table of
/// counters (per family: one per bucket, one past the last, and the sum in nanoseconds), so
/// recording a request is two relaxed atomic additions and the memory never grows between
/// scrapes (the exporter's histogram keeps every sample until the next scrape). Process-wide,
/// like the recorder.
pub struct RequestDurations {
    buckets: [[AtomicU64; BOUNDS.len() + 1]; FAMILIES.len()],
    nanos: [AtomicU64; FAMILIES.len()],
}

impl RequestDurations {
    /// The process's table (the servers of one test process share it, as they share the recorder).
    pub fn register() -> &'static Self {
        static TABLE: OnceLock<RequestDurations> = OnceLock::new();
        TABLE.get_or_init(|| Self {
            buckets: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            nanos: std::array::from_fn(|_| AtomicU64::new(0)),
        })
    }

    pub fn record(&self, path: &str, elapsed: Duration) {
        let family = family(path);
        let Some(row) = FAMILIES.iter().position(|f| *f == family) else { return };
        let seconds = elapsed.as_secs_f64();
        let bucket = BOUNDS.iter().position(|bound| seconds <= *bound).unwrap_or(BOUNDS.len());
        self.buckets[row][bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[row].fetch_add(nanos, Ordering::Relaxed);
    }

    /// The histogram in Prometheus' text format (cumulative buckets, `+Inf`, sum and count).
    fn render(&self) -> String {
        use std::fmt::Write;
        let name = "http_request_duration_seconds";
        let mut text = format!("# TYPE {name} histogram\n");
        for (row, family) in FAMILIES.iter().enumerate() {
            let mut count = 0;
            for (bucket, counter) in self.buckets[row].iter().enumerate() {
                count += counter.load(Ordering::Relaxed);
                let le = BOUNDS.get(bucket).map_or_else(|| "+Inf".to_owned(), f64::to_string);
                let _ = writeln!(text, "{name}_bucket{{family=\"{family}\",le=\"{le}\"}} {count}");
            }
            let sum = self.nanos[row].load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(text, "{name}_sum{{family=\"{family}\"}} {sum}");
            let _ = writeln!(text, "{name}_count{{family=\"{family}\"}} {count}");
        }
        text
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_render_as_cumulative_buckets_with_sum_and_count() {
        let table = RequestDurations::register();
        let before = table.render();
        let count_of = |text: &str, series: &str| -> u64 {
            text.lines().find_map(|line| line.strip_prefix(series)?.trim().parse().ok()).unwrap_or(0)
        };
        table.record("/readyz", Duration::from_micros(300));
        table.record("/healthz", Duration::from_millis(3));
        table.record("/healthz", Duration::from_secs(11));
        let after = table.render();
        let grew = |series: &str| count_of(&after, series) - count_of(&before, series);
        let family = r#"family="health""#;
        assert_eq!(grew(&format!("http_request_duration_seconds_bucket{{{family},le=\"0.0005\"}}")), 1);
        assert_eq!(grew(&format!("http_request_duration_seconds_bucket{{{family},le=\"0.005\"}}")), 2);
        assert_eq!(grew(&format!("http_request_duration_seconds_bucket{{{family},le=\"10\"}}")), 2);
        assert_eq!(grew(&format!("http_request_duration_seconds_bucket{{{family},le=\"+Inf\"}}")), 3);
        assert_eq!(grew(&format!("http_request_duration_seconds_count{{{family}}}")), 3);
        assert!(after.contains("# TYPE http_request_duration_seconds histogram"));
    }
}
