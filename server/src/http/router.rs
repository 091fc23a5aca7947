//! The routes, and the layers around them. A request passes, from the outside in:
//!
//! ```text
//! request timeout → security headers (+ anonymous page cache) → session → gate → handler
//!                              │                                          │
//!                              │  gate: cross_site refusal ─┬─ /api/*: body_limit → form_posts → server function / axum
//!                              │                            │          handler → json_errors
//!                              │                            └─ pages:  page_cache::signed_in (/account, kept per account)
//!                              │                                       → page_access (who may see which page) → page render
//!                              │                                       (/verify-email/{token}: verify_email, then its page)
//!                              └─ OpenID Connect for apps (discovery, JWKS, token, userinfo, and the POST form
//!                                 of authorize and logout, a 303 to their GET): no session, no gate;
//!                                 any origin may call them
//! ```

use crate::{
    gate,
    http::{
        health,
        middleware::{
            body_limit, cross_site, form_posts, json_errors, page_access,
            request_id::{self, RequestIds},
            security_headers, verify_email, wrong_method,
        },
        page_cache::{
            anonymous::PageCache,
            signed_in::{self, SignedInPages},
        },
        static_files,
    },
    infra::{metrics::GateDecisions, session_store::Lifetimes},
    oidc,
};
use app::{server::state::AppState, shell, App};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::Response,
    routing::{any, get, post},
    Json, Router,
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::time::Duration;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer, SessionStore};
use tracing::Instrument;

/// The session cookie's name. Over https it is `__Host-session`: the browser then accepts it
/// only `Secure`, host-only and for the whole site, so a sibling subdomain or a plain-http page
/// cannot plant or overwrite it. With `COOKIE_DOMAIN` the cookie must reach the protected apps'
/// hosts (their proxy sends it to the gate), which `__Host-` forbids: it is `__Secure-session`,
/// still refused by browsers unless `Secure`.
pub fn session_cookie_name(secure_cookies: bool, cookie_domain: Option<&str>) -> &'static str {
    match (secure_cookies, cookie_domain) {
        (true, None) => "__Host-session",
        (true, Some(_)) => "__Secure-session",
        (false, _) => "session",
    }
}

pub fn build<Store: SessionStore + Clone>(
    state: AppState,
    session_store: Store,
    lifetimes: Lifetimes,
    stopping: health::Stopping,
    request_ids: RequestIds,
) -> Router {
    let options = state.leptos_options().clone();
    let secure_cookies = state.settings.secure_cookies;
    // The server ends a session itself when it is idle or too old (`session_store`). The cookie
    // is kept for the absolute lifetime from its last write, so a browser never drops a session
    // that the server still holds (use moves the idle expiry without rewriting the cookie).
    let cookie_name = session_cookie_name(secure_cookies, state.settings.cookie_domain.as_deref());
    let gate_sessions = gate::GateSessions::new(session_store.clone(), cookie_name);
    let for_auth_request = gate_sessions.clone();
    // Registered once here (after the recorder, when metrics are on): the gate counts without a
    // lookup per check.
    let decisions = GateDecisions::register();
    let for_auth_request_decisions = decisions.clone();
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(cookie_name)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(lifetimes.max_age.as_secs() as i64)));
    let sessions = match state.settings.cookie_domain.clone() {
        Some(domain) => sessions.with_domain(domain),
        None => sessions,
    };
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
        .leptos_routes(&state, app_routes(), {
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
        // The OpenID Connect provider's browser endpoints (`docs/contract/oidc.md`): the code flow and sign-out.
        .route(oidc::AUTHORIZE, get(oidc::authorize))
        .route(oidc::END_SESSION, get(oidc::end_session))
        // The person's answer to "sign out?": a form post, refused from other sites by the gate.
        .route(oidc::END_SESSION_CONFIRM, post(oidc::confirm_end_session))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).layer(axum::Extension(stopping)))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .nest(&format!("/{}", options.site_pkg_dir), static_files::router(&options.site_root, &options.site_pkg_dir))
        .fallback(move |request: axum::extract::Request| not_found(request))
        .layer(middleware::from_fn_with_state((state.clone(), SignedInPages::default()), gate))
        .layer(sessions)
        // The provider's endpoints for apps (`docs/contract/oidc.md`): discovery, keys, tokens, introspection and userinfo. They
        // answer any origin (CORS), read no session and serve no page, so they are routed outside
        // the session layer and the gate: a token request or a userinfo call pays neither.
        .route(oidc::DISCOVERY, get(oidc::discovery).options(oidc::preflight))
        .route(oidc::JWKS, get(oidc::jwks).options(oidc::preflight))
        .route(oidc::TOKEN, post(oidc::token).options(oidc::preflight))
        .route(oidc::INTROSPECT, post(oidc::introspect).options(oidc::preflight))
        .route(oidc::USERINFO, get(oidc::userinfo).post(oidc::userinfo).options(oidc::preflight))
        // The forward-auth gate for reverse proxies: GET and HEAD. Asked on every request to the
        // apps behind it, it reads the session cookie itself (`GateSessions`) and answers its
        // errors as JSON itself, outside the session layer and the middleware of pages and API.
        .route(
            "/api/authz/forward-auth",
            get(move |state, request| gate::forward_auth(state, gate_sessions.clone(), decisions.clone(), request)),
        )
        .route(
            "/api/authz/auth-request",
            get(move |state, request| {
                gate::auth_request(state, for_auth_request.clone(), for_auth_request_decisions.clone(), request)
            }),
        )
        // The browser endpoints' POST form: a 303 to the GET above, which passes the gate.
        .route(oidc::AUTHORIZE, post(oidc::post_as_get))
        .route(oidc::END_SESSION, post(oidc::post_as_get))
        // A method an address does not take: a 405 that says so, for every route above.
        .method_not_allowed_fallback(wrong_method::answer)
        // The security headers, around the anonymous page cache.
        .layer(middleware::from_fn_with_state(PageCache::default(), security_headers::add))
        .layer(middleware::from_fn_with_state(request_ids, every_request))
        .with_state(state)
}

/// What every request passes before its handler, in this order. One layer, not one per step:
/// each layer costs every request a boxed service and future.
async fn gate(State((state, pages)): State<(AppState, SignedInPages)>, request: Request, next: Next) -> Response {
    if cross_site::must_refuse(&request) {
        return cross_site::refuse(request).await;
    }
    let Some(endpoint) = request.uri().path().strip_prefix("/api/").map(str::to_owned) else {
        if let Some(token) = verify_email::token_of(&request) {
            return verify_email::follow(&state, token, request, next).await;
        }
        let (request, next) = match signed_in::serve(&state, &pages, request, next).await {
            Ok(kept) => return kept,
            Err(not_kept) => not_kept,
        };
        return page_access::guard(&state, request, next).await;
    };
    // GET and HEAD carry no body (the forward-auth gate, asked on every request to the apps
    // behind it, is spared reading one).
    let reads = !matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    let request = match if reads { body_limit::within_limit(request).await } else { Ok(request) } {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let request = form_posts::mark(request, state.settings.secure_cookies);
    json_errors::ensure_json(next.run(request).await, &endpoint).await
}

/// The app's routes, listed once per process. Listing runs the whole app with resource loading
/// suppressed by a process-wide flag (leptos_server's `SuppressResourceLoad`): a page whose
/// resource first polled while another router was being built waited forever (leptos#4773).
/// Several servers in one process (the tests) hit it now and then; listed once, the listing
/// ends before the first server answers.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// No request runs longer than this: it is answered 503 and logged (which request, how long).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Around every request, in one layer: its id (`request_id`), its duration (with metrics on),
/// and the timeout.
async fn every_request(State(ids): State<RequestIds>, request: Request, next: Next) -> Response {
    let id = ids.of(&request);
    let span = if ids.in_logs {
        tracing::info_span!("request", request_id = id.to_str().unwrap_or_default())
    } else {
        tracing::Span::none()
    };
    let started = ids.durations.is_some().then(std::time::Instant::now);
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).instrument(span.clone()).await {
        Ok(response) => response,
        Err(_) => {
            let _entered = span.enter();
            tracing::error!(%method, path, "request timed out after {} s", REQUEST_TIMEOUT.as_secs());
            axum::response::IntoResponse::into_response(StatusCode::SERVICE_UNAVAILABLE)
        }
    };
    response.headers_mut().insert(request_id::HEADER, id);
    if let (Some(started), Some(durations)) = (started, &ids.durations) {
        durations.record(&path, started.elapsed());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages the router serves are the ones `app::paths` names (the guards and the caches
    /// key on those names).
    #[tokio::test]
    async fn the_router_serves_exactly_the_named_pages() {
        let mut served: Vec<String> = app_routes().iter().map(|route| route.path().to_owned()).collect();
        let mut named: Vec<String> = app::paths::ALL.iter().map(|path| (*path).to_owned()).collect();
        served.sort();
        named.sort();
        assert_eq!(served, named);
    }

    /// The links mail carries (made by the domain) lead to the pages that answer them.
    #[test]
    fn the_links_in_mail_name_the_pages_that_answer_them() {
        assert_eq!(domain::flows::email_verification::PATH_PREFIX, app::paths::VERIFY_EMAIL_PREFIX);
        let invitation = domain::console::invitations::link("https://auth.example.com", "t0ken");
        assert_eq!(invitation, format!("https://auth.example.com{}t0ken", app::paths::INVITATION_PREFIX));
    }
}
