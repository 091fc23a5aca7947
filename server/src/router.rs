//! The routes, and the layers around them. A request passes, from the outside in: the request
//! timeout, the security headers, the anonymous page cache, the session, the API guard (for `/api/*`), the page guard
//! (for pages), then the handler.

use crate::{api_guard, health, security_headers, static_files};
use app::{server::state::AppState, shell, App};
use axum::{
    http::StatusCode,
    middleware,
    routing::{any, get, post},
    Json, Router,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer, SessionStore};

/// A session unused for 30 minutes ends (NIST SP 800-63B, AAL2 inactivity timeout).
const SESSION_IDLE_MINUTES: i64 = 30;

pub fn build<Store: SessionStore + Clone>(state: AppState, session_store: Store, secure_cookies: bool) -> Router {
    let options = state.leptos_options.clone();
    let sessions = SessionManagerLayer::new(session_store)
        .with_name("session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(SESSION_IDLE_MINUTES)));

    Router::new()
        // Pages and the server functions (`/api/*`), with `AppState` in their Leptos context.
        .leptos_routes(&state, generate_route_list(App), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route("/api/me", post(app::api::sign_in::me))
        // Any other `/api/...` path is a JSON 404, not a page.
        .route(
            "/api/{*rest}",
            any(|| async { (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "There is no such endpoint." }))) }),
        )
        .route("/healthz", get(health::healthz))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .nest(
            &format!("/{}", options.site_pkg_dir),
            static_files::router(&options.site_root, &options.site_pkg_dir),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // The API guard, which hands pages on to the page guard.
        .layer(middleware::from_fn_with_state(state.clone(), api_guard::guard))
        .layer(sessions)
        // The security headers, around the anonymous page cache.
        .layer(middleware::from_fn(security_headers::add))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .with_state(state)
}
