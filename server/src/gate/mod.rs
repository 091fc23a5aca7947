//! The forward-auth gate (API.md, "Protecting other applications"): nginx (`auth_request`),
//! Traefik (`ForwardAuth`) and Caddy (`forward_auth`) ask, for every request to a protected app,
//! whether the visitor may pass. `/api/authz/forward-auth` reads the target from
//! `X-Forwarded-*`, `/api/authz/auth-request` from `X-Original-*`; both answer from the visitor's
//! session (the portal's cookie, sent along by the proxy) and the access rules. One session
//! read (in memory on SQLite) and one cached identity: no write.

use app::server::{session::RequestSession, state::AppState};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use domain::{
    access_rules::{Decision, Policy, Subject},
    flows::{current_user, return_to},
    request_target::{host_within, Target, TargetError},
};
use std::sync::Arc;
use tower_sessions::{session::Id, Session, SessionStore};

use crate::http::middleware::json_errors::json_error;

/// Which proxy contract is asked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Contract {
    /// Traefik and Caddy: a redirect for a browser.
    ForwardAuth,
    /// nginx: a 401 with `Location` (nginx's `auth_request` only passes 2xx, 401 and 403).
    AuthRequest,
}

impl Contract {
    /// Why a target could not be read: for the operator setting up the proxy.
    fn what_the_proxy_must_send(self) -> &'static str {
        match self {
            Contract::ForwardAuth => {
                "The proxy must send X-Forwarded-Proto (http or https), X-Forwarded-Host, X-Forwarded-Uri \
                 (a path beginning with /) and X-Forwarded-Method of the request it asks about."
            }
            Contract::AuthRequest => {
                "The proxy must send X-Original-URL (the absolute http(s) URL) and X-Original-Method of the \
                 request it asks about."
            }
        }
    }
}

/// The portal's session as the gate reads it: straight from the `Cookie` header. The gate is
/// routed outside the session layer (asked on every request to every protected app, it pays for
/// no cookie jar and no middleware it does not need); it only reads the session, and the store
/// moves the idle expiry on a read (at most once a minute), as for any other request.
#[derive(Clone)]
pub struct GateSessions {
    cookie_name: &'static str,
    /// A session of the store, by its id; without one it never asks the store (it is empty).
    open: Arc<dyn Fn(Option<Id>) -> Session + Send + Sync>,
}

impl GateSessions {
    pub fn new<Store: SessionStore + Clone>(store: Store, cookie_name: &'static str) -> Self {
        let store = Arc::new(store);
        Self { cookie_name, open: Arc::new(move |id| Session::new(id, store.clone(), None)) }
    }

    /// The session named by the request's session cookie (an empty one without a valid cookie).
    fn of(&self, headers: &HeaderMap) -> Session {
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == self.cookie_name).then(|| value.parse::<Id>().ok()).flatten()
            });
        (self.open)(id)
    }
}

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

fn unavailable() -> Response {
    tracing::warn!("forward auth: the session or the account could not be read (503)");
    let mut answer = json_error(StatusCode::SERVICE_UNAVAILABLE, "The sign-in service is busy: try again shortly.");
    answer.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    answer
}

/// 200 with the four `Remote-*` headers, always present (empty for a visitor not signed in on a
/// `bypass` rule; `Remote-Email` empty unless the address is verified). Every value is safe for a header: usernames and groups are letters, digits,
/// `.`, `_` and `-`; display names and emails hold no control characters (checked when set), and
/// are sent as their UTF-8 bytes.
fn allowed(visitor: Option<&Visitor>) -> Response {
    let user = visitor.map(|v| v.username.clone()).unwrap_or_default();
    let groups = visitor.map(|v| v.groups.join(",")).unwrap_or_default();
    let name = visitor.map(|v| v.display_name.clone().unwrap_or_else(|| v.username.clone())).unwrap_or_default();
    let email = visitor.and_then(|v| v.verified_email.clone()).unwrap_or_default();
    let mut response = StatusCode::OK.into_response();
    for (header_name, value) in
        [("remote-user", user), ("remote-groups", groups), ("remote-name", name), ("remote-email", email)]
    {
        let value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or(HeaderValue::from_static(""));
        response.headers_mut().insert(HeaderName::from_static(header_name), value);
    }
    response
}

/// Not allowed yet: a browser is sent to the portal with `rd`, any other client gets 401.
fn not_yet(state: &AppState, headers: &HeaderMap, target: &Target, url: &str, contract: Contract) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let scripted =
        headers.get("x-requested-with").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"));
    if !accept.contains("text/html") || scripted {
        return sign_in_first();
    }
    let location = format!("{}/login?rd={}", state.settings.public_url, return_to::encode(url));
    let Ok(location) = HeaderValue::from_str(&location) else { return sign_in_first() };
    let status = match contract {
        Contract::AuthRequest => StatusCode::UNAUTHORIZED,
        Contract::ForwardAuth if matches!(target.method.as_str(), "GET" | "HEAD" | "OPTIONS") => StatusCode::FOUND,
        Contract::ForwardAuth => StatusCode::SEE_OTHER,
    };
    let mut answer = match status {
        StatusCode::UNAUTHORIZED => sign_in_first(),
        _ => status.into_response(),
    };
    answer.headers_mut().insert(header::LOCATION, location);
    answer
}

fn sign_in_first() -> Response {
    json_error(StatusCode::UNAUTHORIZED, "Sign in (with the factors this address needs) first.")
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim).filter(|v| !v.is_empty())
}

/// Why no target was read: the proxy sent too little (its configuration is wrong), or it
/// described a request that cannot be judged safely (a crafted one, usually).
#[derive(Debug, PartialEq)]
enum TargetRefusal {
    Missing,
    Unjudgeable(TargetError),
}

impl From<TargetError> for TargetRefusal {
    fn from(error: TargetError) -> Self {
        TargetRefusal::Unjudgeable(error)
    }
}

/// Traefik and Caddy: `X-Forwarded-Proto` + `://` + `X-Forwarded-Host` + `X-Forwarded-Uri`.
fn forwarded_target(headers: &HeaderMap) -> Result<(Target, String), TargetRefusal> {
    let (Some(scheme), Some(host), Some(uri), Some(method)) = (
        text(headers, "x-forwarded-proto"),
        text(headers, "x-forwarded-host"),
        text(headers, "x-forwarded-uri"),
        text(headers, "x-forwarded-method"),
    ) else {
        return Err(TargetRefusal::Missing);
    };
    if !uri.starts_with('/') {
        return Err(TargetRefusal::Missing);
    }
    let url = format!("{scheme}://{host}{uri}");
    let target = Target::parse(&url, method)?;
    Ok((target, url))
}

/// nginx: `X-Original-URL`, absolute.
fn original_target(headers: &HeaderMap) -> Result<(Target, String), TargetRefusal> {
    let (Some(url), Some(method)) = (text(headers, "x-original-url"), text(headers, "x-original-method")) else {
        return Err(TargetRefusal::Missing);
    };
    let target = Target::parse(url, method)?;
    Ok((target, url.to_owned()))
}

/// With `COOKIE_DOMAIN`, the protected apps are that domain and its subdomains: a target
/// elsewhere is a mistake in the proxy's configuration (400). Both sides are lower case.
fn within_cookie_domain(host: &str, state: &AppState) -> bool {
    state.settings.cookie_domain.as_deref().is_none_or(|domain| host_within(host, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn targets_are_read_from_either_contract() {
        let (t, url) = forwarded_target(&headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "App.Example.com"),
            ("x-forwarded-uri", "/a?b=c"),
            ("x-forwarded-method", "get"),
        ]))
        .unwrap();
        assert_eq!((t.host.as_str(), t.resource().as_ref(), t.method.as_str()), ("app.example.com", "/a?b=c", "GET"));
        assert_eq!(url, "https://App.Example.com/a?b=c");
        let (t, _) = original_target(&headers(&[
            ("x-original-url", "http://app.example.com:8080/x"),
            ("x-original-method", "POST"),
        ]))
        .unwrap();
        assert_eq!((t.scheme.as_str(), t.host.as_str(), t.method.as_str()), ("http", "app.example.com", "POST"));
    }

    #[test]
    fn malformed_or_foreign_targets_are_refused() {
        for bad in [
            &[("x-original-url", "ftp://app.example.com/"), ("x-original-method", "GET")][..],
            &[("x-original-url", "https://user:pw@app.example.com/"), ("x-original-method", "GET")],
            &[("x-original-url", "/relative"), ("x-original-method", "GET")],
            &[("x-original-url", "https://app.example.com/"), ("x-original-method", "G E T")],
            &[("x-original-url", "https://app.example.com/")],
        ] {
            assert!(original_target(&headers(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            forwarded_target(&headers(&[("x-forwarded-proto", "https"), ("x-forwarded-host", "a.example.com")])).err(),
            Some(TargetRefusal::Missing)
        );
    }

    #[test]
    fn the_target_is_percent_encoded_whole() {
        assert_eq!(
            return_to::encode("https://a.example.com/x?y=1&z=2"),
            "https%3A%2F%2Fa.example.com%2Fx%3Fy%3D1%26z%3D2"
        );
    }
}
