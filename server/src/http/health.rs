//! Liveness and readiness. `GET /healthz`: 200 once the database answers, 503 otherwise (the
//! contract's). `GET /readyz`: whether to send this instance traffic — 503 while the database
//! cannot be reached, and from the moment the server is asked to stop (it then finishes what it
//! has, and a load balancer should send the rest elsewhere).

use app::server::state::AppState;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Extension, Json};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    database_answers(&state, "ok").await
}

/// 200 with `status: up` when the database answers a trivial query within 2 s, else 503.
async fn database_answers(state: &AppState, up: &'static str) -> (StatusCode, Json<serde_json::Value>) {
    if crate::infra::database::is_healthy(&state.db).await {
        (StatusCode::OK, Json(serde_json::json!({ "status": up })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "database unavailable" })))
    }
}

/// Whether the server has been asked to stop; shared by the router and `Application`.
#[derive(Clone, Default)]
pub struct Stopping(Arc<AtomicBool>);

impl Stopping {
    pub fn now(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub async fn readyz(State(state): State<AppState>, Extension(stopping): Extension<Stopping>) -> impl IntoResponse {
    if stopping.is_set() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "stopping" })));
    }
    database_answers(&state, "ready").await
}
