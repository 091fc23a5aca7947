//! The gate's answers: 200 with the `Remote-*` headers, a way to the portal, or a refusal.

use super::target::Contract;
use app::paths;
use app::server::state::AppState;
use axum::{
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use domain::{
    request_target::{encode_component, Target},
    visitor::SignedIn,
    AuthError,
};

use crate::http::middleware::json_errors::json_error;

pub(super) fn unavailable(cause: &AuthError) -> Response {
    tracing::warn!(error = %cause, "forward auth: the session or the account could not be read (503)");
    let mut answer = json_error(StatusCode::SERVICE_UNAVAILABLE, "The sign-in service is busy: try again shortly.");
    answer.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    answer
}

/// 200 with the four `Remote-*` headers, always present (empty for a visitor not signed in on a
/// `bypass` rule; `Remote-Email` empty unless the address is verified). Every value is safe for
/// a header: usernames and groups are letters, digits, `.`, `_` and `-`; display names and emails hold no control characters (checked when set), and
/// are sent as their UTF-8 bytes.
pub(super) fn allowed(signed_in: Option<&SignedIn>) -> Response {
    let identity = signed_in.map(|signed_in| &*signed_in.identity);
    let user = identity.map(|i| i.username.clone()).unwrap_or_default();
    let groups = identity.map(|i| i.groups.join(",")).unwrap_or_default();
    let name = identity.map(|i| i.display_name.clone().unwrap_or_else(|| i.username.clone())).unwrap_or_default();
    let email = identity.and_then(|i| i.verified_email()).map(str::to_owned).unwrap_or_default();
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
pub(super) fn not_yet(
    state: &AppState,
    headers: &HeaderMap,
    target: &Target,
    url: &str,
    contract: Contract,
) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let scripted =
        headers.get("x-requested-with").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"));
    if !accept.contains("text/html") || scripted {
        return sign_in_first();
    }
    let location = format!("{}{}?rd={}", state.settings.public_url, paths::LOGIN, encode_component(url));
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

pub(super) fn sign_in_first() -> Response {
    json_error(StatusCode::UNAUTHORIZED, "Sign in (with the factors this address needs) first.")
}
