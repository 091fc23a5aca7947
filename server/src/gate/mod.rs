//! The forward-auth gate (API.md, "Protecting other applications"): nginx (`auth_request`),
//! Traefik (`ForwardAuth`) and Caddy (`forward_auth`) ask, for every request to a protected app,
//! whether the visitor may pass. `/api/authz/forward-auth` reads the target from
//! `X-Forwarded-*`, `/api/authz/auth-request` from `X-Original-*`; both answer from the visitor's
//! session (the portal's cookie, sent along by the proxy) and the access rules. One session
//! read (in memory on SQLite) and one cached identity: no write.

mod answers;
mod sessions;
mod target;

pub use sessions::GateSessions;

use self::{
    answers::{allowed, not_yet, unavailable},
    target::{forwarded_target, original_target, Contract, TargetRefusal},
};
use app::server::{session::RequestSession, state::AppState};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use domain::{
    access_rules::{Decision, Policy, Subject},
    flows::current_user,
    request_target::host_within,
};
use tower_sessions::Session;

use crate::http::middleware::json_errors::json_error;

// The handlers take the request itself and read its headers in place: a `HeaderMap` extractor
// would copy every header of every check.
pub async fn forward_auth(state: State<AppState>, sessions: GateSessions, request: Request) -> Response {
    let session = sessions.of(request.headers());
    answer(state, session, request.headers(), Contract::ForwardAuth).await
}

pub async fn auth_request(state: State<AppState>, sessions: GateSessions, request: Request) -> Response {
    let session = sessions.of(request.headers());
    answer(state, session, request.headers(), Contract::AuthRequest).await
}

/// Who the visitor is, when fully signed in.
struct Visitor {
    username: String,
    two_factor: bool,
    display_name: Option<String>,
    /// Only a verified address: apps may take it as the person's.
    verified_email: Option<String>,
    groups: Vec<String>,
}

async fn answer(State(state): State<AppState>, session: Session, headers: &HeaderMap, contract: Contract) -> Response {
    let target = match contract {
        Contract::ForwardAuth => forwarded_target(headers),
        Contract::AuthRequest => original_target(headers),
    };
    let (target, url) = match target {
        Ok(read) => read,
        Err(TargetRefusal::Missing) => {
            return json_error(StatusCode::BAD_REQUEST, contract.what_the_proxy_must_send());
        }
        Err(TargetRefusal::Unjudgeable(why)) => {
            tracing::info!(reason = %why, "forward auth: a target that cannot be judged (400)");
            return json_error(StatusCode::BAD_REQUEST, &format!("The request asked about cannot be judged: {why}."));
        }
    };
    if !within_cookie_domain(&target.host, &state) {
        tracing::info!(host = %target.host, "forward auth: a host outside COOKIE_DOMAIN (400)");
        return json_error(
            StatusCode::BAD_REQUEST,
            "The request asked about is for a host outside COOKIE_DOMAIN: this gate does not protect it.",
        );
    }
    let visitor = match signed_in(&state, RequestSession::new(session, None)).await {
        Ok(visitor) => visitor,
        Err(response) => return response,
    };
    let subject = Subject {
        username: visitor.as_ref().map(|v| v.username.clone()),
        groups: visitor.as_ref().map(|v| v.groups.clone()).unwrap_or_default(),
    };
    let passes = match state.settings.access_rules.decide(&target, &subject) {
        Decision::Policy { policy: Policy::Deny, .. } | Decision::Forbidden => {
            return json_error(StatusCode::FORBIDDEN, "The access rules do not let you reach this address.");
        }
        Decision::Policy { policy: Policy::Bypass, .. } => true,
        Decision::Policy { policy: Policy::OneFactor, .. } => visitor.is_some(),
        Decision::Policy { policy: Policy::TwoFactor, .. } => visitor.as_ref().is_some_and(|v| v.two_factor),
        Decision::SignInFirst { .. } => false,
    };
    if passes {
        return allowed(visitor.as_ref());
    }
    not_yet(&state, headers, &target, &url, contract)
}

/// The fully signed-in visitor of this session, if any (a pending or ended session is none).
async fn signed_in(state: &AppState, session: RequestSession) -> Result<Option<Visitor>, Response> {
    let live = current_user::live_identity(state, &session).await.map_err(|_| unavailable())?;
    Ok(live.map(|(identity, _)| Visitor {
        username: identity.username.clone(),
        two_factor: identity.two_factor,
        display_name: identity.display_name.clone(),
        verified_email: identity.verified_email().map(str::to_owned),
        groups: identity.groups.clone(),
    }))
}

/// With `COOKIE_DOMAIN`, the protected apps are that domain and its subdomains: a target
/// elsewhere is a mistake in the proxy's configuration (400). Both sides are lower case.
fn within_cookie_domain(host: &str, state: &AppState) -> bool {
    state.settings.cookie_domain.as_deref().is_none_or(|domain| host_within(host, domain))
}
