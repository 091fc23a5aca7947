//! The routes, and the layers around them. A request passes, from the outside in: the request
//! timeout, the security headers, the anonymous page cache, the session, the API guard (for `/api/*`), the page guard
//! (for pages), then the handler.

use crate::{
    anonymous_page_cache::PageCache, api_guard, health, security_headers, session_store::Lifetimes, static_files,
};
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

/// The session cookie's name. Over https it is `__Host-session`: the browser then accepts it
/// only `Secure`, host-only and for the whole site, so a sibling subdomain or a plain-http page
/// cannot plant or overwrite it.
pub fn session_cookie_name(secure_cookies: bool) -> &'static str {
    if secure_cookies {
        "__Host-session"
    } else {
        "session"
    }
}

pub fn build<Store: SessionStore + Clone>(state: AppState, session_store: Store, lifetimes: Lifetimes) -> Router {
    let options = state.leptos_options.clone();
    let secure_cookies = state.settings.secure_cookies;
    // The server ends a session itself when it is idle or too old (`session_store`). The cookie
    // is kept for the absolute lifetime from its last write, so a browser never drops a session
    // that the server still holds (use moves the idle expiry without rewriting the cookie).
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(session_cookie_name(secure_cookies))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(lifetimes.max_age.as_secs() as i64)));
    // Anything else is a page of the app (its "not found" page, say), never a file: the only
    // files served are the built JS, WASM and CSS under `/pkg`.
    // Rendered completely before it is sent, like every page (`SsrMode::Async`).
    let not_found = leptos_axum::render_app_async_with_context(
        {
            let state = state.clone();
            move || leptos::prelude::provide_context(state.clone())
        },
        {
            let options = options.clone();
            move || shell(options.clone())
        },
    );

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
            any(|| async {
                (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "There is no such endpoint." })))
            }),
        )
        .route("/healthz", get(health::healthz))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .nest(&format!("/{}", options.site_pkg_dir), static_files::router(&options.site_root, &options.site_pkg_dir))
        .fallback(move |request: axum::extract::Request| not_found(request))
        // The API guard, which hands pages on to the page guard.
        .layer(middleware::from_fn_with_state(state.clone(), api_guard::guard))
        .layer(sessions)
        // The security headers, around the anonymous page cache.
        .layer(middleware::from_fn_with_state(PageCache::default(), security_headers::add))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .with_state(state)
}
