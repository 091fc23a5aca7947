//! The forward-auth gate (`docs/contract/forward-auth.md`): nginx (`auth_request`),
//! Traefik (`ForwardAuth`) and Caddy (`forward_auth`) ask, for every request to a protected app,
//! whether the visitor may pass. `/api/authz/forward-auth` reads the target from
//! `X-Forwarded-*`, `/api/authz/auth-request` from `X-Original-*`; both answer from the visitor's
//! session (the portal's cookie, sent along by the proxy) and the access rules. One session
//! read (in memory on SQLite) and one cached identity; it writes only to end a session the
//! account has moved past (`Visitor::of`). A request with an app password, where a rule takes
//! one, is judged as its owner (`app_passwords`).

mod answers;
mod app_passwords;
mod sessions;
mod target;

pub use sessions::GateSessions;

use self::{
    answers::{allowed, not_yet, unavailable},
    target::{forwarded_target, original_target, Contract, TargetRefusal},
};
use app::server::{client_address, session::RequestSession, state::AppState};
use axum::{
    extract::{Request, State},
    http::{Extensions, HeaderMap, StatusCode},
    response::Response,
};
use domain::{access_rules::Admission, request_target::host_within, visitor::Visitor};
use std::net::IpAddr;
use tower_sessions::Session;

use crate::{
    http::middleware::json_errors::json_error,
    infra::metrics::{GateDecisions, GateOutcome},
};

// The handlers take the request itself and read its headers in place: a `HeaderMap` extractor
// would copy every header of every check.
pub async fn forward_auth(
    state: State<AppState>,
    sessions: GateSessions,
    decisions: GateDecisions,
    request: Request,
) -> Response {
    let session = sessions.of(request.headers());
    let from = client_of(&state, &request);
    answer(state, session, &decisions, request.headers(), request.extensions(), from, Contract::ForwardAuth).await
}

pub async fn auth_request(
    state: State<AppState>,
    sessions: GateSessions,
    decisions: GateDecisions,
    request: Request,
) -> Response {
    let session = sessions.of(request.headers());
    let from = client_of(&state, &request);
    answer(state, session, &decisions, request.headers(), request.extensions(), from, Contract::AuthRequest).await
}

/// The visitor's address: the proxy's TCP address, or the address it forwards when (and only
/// when) it is one of `TRUSTED_PROXIES`. Both proxies add the address they were reached from
/// to `X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for` appends it to what the client
/// sent; Caddy, trusting no one upstream, replaces it): the right-most untrusted entry is the
/// client, and anything the client wrote further left is never read. A trusted proxy itself is
/// no client: the address is then unknown, in no network (`client_address::for_networks`).
fn client_of(state: &AppState, request: &Request) -> Option<IpAddr> {
    if !state.settings.access_rules.judges_networks() {
        return None;
    }
    let trusted = &state.settings.trusted_proxies;
    client_address::for_networks(client_address::of_request(request.extensions(), request.headers(), trusted), trusted)
}

async fn answer(
    State(state): State<AppState>,
    session: Session,
    decisions: &GateDecisions,
    headers: &HeaderMap,
    extensions: &Extensions,
    from: Option<IpAddr>,
    contract: Contract,
) -> Response {
    let target = match contract {
        Contract::ForwardAuth => forwarded_target(headers),
        Contract::AuthRequest => original_target(headers),
    };
    let (target, url) = match target {
        Ok(read) => read,
        Err(TargetRefusal::Missing) => {
            decisions.count(GateOutcome::BadTarget);
            tracing::info!(contract = contract.name(), "forward auth: the proxy sent no complete target (400)");
            return json_error(StatusCode::BAD_REQUEST, contract.what_the_proxy_must_send());
        }
        Err(TargetRefusal::Unjudgeable(why)) => {
            decisions.count(GateOutcome::BadTarget);
            tracing::info!(reason = %why, "forward auth: a target that cannot be judged (400)");
            return json_error(StatusCode::BAD_REQUEST, &format!("The request asked about cannot be judged: {why}."));
        }
    };
    if !within_cookie_domain(&target.host, &state) {
        decisions.count(GateOutcome::BadTarget);
        tracing::info!(host = %target.host, "forward auth: a host outside COOKIE_DOMAIN (400)");
        return json_error(
            StatusCode::BAD_REQUEST,
            "The request asked about is for a host outside COOKIE_DOMAIN: this gate does not protect it.",
        );
    }
    if let Some(answer) = app_passwords::answer(&state, decisions, headers, extensions, &target, from).await {
        return answer;
    }
    let visitor = match Visitor::of(&state, &RequestSession::new(session, None)).await {
        Ok(visitor) => visitor,
        Err(cause) => {
            decisions.count(GateOutcome::Unavailable);
            return unavailable(&cause);
        }
    };
    match state.settings.access_rules.decide(&target, &visitor, from).admits(&visitor, state.now()) {
        Admission::Admitted => {
            decisions.count(GateOutcome::Admitted);
            allowed(visitor.signed_in().ok())
        }
        Admission::Refused => {
            decisions.count(GateOutcome::Refused);
            json_error(StatusCode::FORBIDDEN, "The access rules do not let you reach this address.")
        }
        Admission::SignInFirst => {
            decisions.count(GateOutcome::SignInFirst);
            not_yet(&state, headers, &target, &url, contract)
        }
    }
}

/// With `COOKIE_DOMAIN`, the protected apps are that domain and its subdomains: a target
/// elsewhere is a mistake in the proxy's configuration (400). Both sides are lower case.
fn within_cookie_domain(host: &str, state: &AppState) -> bool {
    state.settings.cookie_domain.as_deref().is_none_or(|domain| host_within(host, domain))
}
