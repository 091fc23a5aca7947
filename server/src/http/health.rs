//! `GET /healthz`: 200 once the database answers, 503 otherwise.

use app::server::state::AppState;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if crate::infra::database::is_healthy(&state.db).await {
        (StatusCode::OK, Json(serde_json::json!({ "status": "ok" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "database unavailable" })))
    }
}
