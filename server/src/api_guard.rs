//! What every `/api/*` request passes before and after its server function (API.md):
//!
//! - a state-changing request from another site (`Origin` not ours, `Origin: null`, or
//!   `Sec-Fetch-Site: cross-site`) gets 403 and changes nothing; no `Origin` (scripts) is fine;
//! - a body over 64 KiB gets 413 (after the body is drained, so the client hears the answer);
//! - an error that is not already `{"error": ...}` JSON is made into it;
//! - a plain browser form post (JavaScript off: `Accept` has `text/html`, not JSON) gets a 303
//!   back to a page, with the message in a one-shot `flash` cookie.

use app::{
    api::Flash,
    server::{auth_session::AuthSession, flash, secret_box::SecretBox, state::AppState},
};
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use http_body_util::BodyExt;
use tower_sessions::Session;

use crate::page_guard;

pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How much of an oversized body is read (and thrown away) before answering 413. Past this the
/// connection is closed instead: nobody sends 16 MiB to a sign-in form by mistake.
const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && is_cross_site(req.headers()) {
        let (_, body) = req.into_parts();
        drain(body).await;
        return json_error(StatusCode::FORBIDDEN, "This request came from another site and was refused.");
    }
    // Pages go on to their own guard, in this same layer (each layer costs every request a
    // boxed service and future).
    let Some(endpoint) = req.uri().path().strip_prefix("/api/").map(str::to_owned) else {
        return page_guard::guard(State(state), req, next).await;
    };

    let (mut parts, body) = req.into_parts();
    // A body declared empty needs no reading (hyper holds the client to its Content-Length).
    let declared_empty = parts.headers.get(header::CONTENT_LENGTH).is_some_and(|length| length == "0");
    let body = if declared_empty {
        Body::empty()
    } else {
        match read_limited(body).await {
            Ok(bytes) => Body::from(bytes),
            Err(BodyError::TooLarge) => {
                return json_error(StatusCode::PAYLOAD_TOO_LARGE, "The request is too large (the limit is 64 KiB).")
            }
            Err(BodyError::Unreadable) => {
                return json_error(StatusCode::BAD_REQUEST, "The request body could not be read.")
            }
        }
    };
    let accept = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (plain_form_post, accepts_html) = (is_plain_form_post(accept), accept.contains("text/html"));
    let (session, came_from) = if plain_form_post {
        (parts.extensions.get::<Session>().cloned(), referring_page(&parts.headers))
    } else {
        (None, None)
    };
    // The server function always answers JSON (this guard turns it into a redirect for a plain
    // form post). Left as it came, an `Accept` naming `text/html` among others would make the
    // server-function layer answer with its own redirect instead of the JSON the client asked for.
    if accepts_html {
        parts.headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    // A script's request answered in JSON (successes, and the server functions' own
    // `{"error"}`s) goes out as it is; only other bodies need rewriting.
    if !plain_form_post && is_json(response.headers()) {
        if response.status().is_server_error() && response.status() != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(status = %response.status(), endpoint, "API request failed");
        }
        return response;
    }
    let (status, headers, json) = match into_json(response).await {
        Ok(answer) => answer,
        Err(response) => return response,
    };
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(%status, endpoint, "API request failed");
    }
    if plain_form_post {
        let secure = state.settings.secure_cookies;
        if let Some(mut redirect) =
            redirect_for_form(&endpoint, status, &json, session, &state.secret_box, came_from, secure).await
        {
            // The cookies the server function set (the device cookie) go with the redirect.
            for cookie in headers.get_all(header::SET_COOKIE) {
                redirect.headers_mut().append(header::SET_COOKIE, cookie.clone());
            }
            return redirect;
        }
    }
    let mut response = (status, Json(json)).into_response();
    copy_headers(&headers, &mut response);
    response
}

/// Another site's page posting here: a foreign `Origin`, `Origin: null` (sandboxed frames,
/// some redirects) or the browser's own `Sec-Fetch-Site: cross-site`.
fn is_cross_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site == Some("cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let Ok(origin) = origin.to_str() else { return true };
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    authority.is_empty() || !authority.eq_ignore_ascii_case(host)
}

/// A browser posting a form with JavaScript off: it asks for HTML and not for JSON.
fn is_plain_form_post(accept: &str) -> bool {
    accept.contains("text/html") && !accept.contains("application/json")
}

enum BodyError {
    TooLarge,
    Unreadable,
}

async fn read_limited(mut body: Body) -> Result<Bytes, BodyError> {
    let mut buffer = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Unreadable)?;
        if let Ok(data) = frame.into_data() {
            if buffer.len() + data.len() > MAX_BODY_BYTES {
                drain(body).await;
                return Err(BodyError::TooLarge);
            }
            buffer.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buffer))
}

async fn drain(mut body: Body) {
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |d| d.len());
        if seen > MAX_DRAIN_BYTES {
            break;
        }
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"))
}

/// The answer as JSON. Bodies that are not JSON (the router's own 404 and 405, say) become
/// `{"error": ...}` with a message for a person.
async fn into_json(response: Response) -> Result<(StatusCode, HeaderMap, serde_json::Value), Response> {
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(json_error(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.")),
    };
    let parsed = if is_json(&parts.headers) { serde_json::from_slice(&bytes).ok() } else { None };
    let mut status = parts.status;
    let json = match parsed {
        Some(json) => json,
        None if status.is_success() => return Err(Response::from_parts(parts, Body::from(bytes))),
        None => {
            let message = match status {
                StatusCode::NOT_FOUND => "There is no such endpoint.",
                StatusCode::METHOD_NOT_ALLOWED => "This endpoint only accepts POST.",
                s if s.is_client_error() => "The request could not be understood.",
                _ => "Something went wrong on our side. Please try again.",
            };
            if status == StatusCode::BAD_REQUEST
                && String::from_utf8_lossy(&bytes).contains("Could not find a server function")
            {
                status = StatusCode::NOT_FOUND;
                serde_json::json!({ "error": "There is no such endpoint." })
            } else {
                serde_json::json!({ "error": message })
            }
        }
    };
    Ok((status, parts.headers, json))
}

/// Keeps the headers the server function set (cookies, `Retry-After`), not its body's.
fn copy_headers(from: &HeaderMap, to: &mut Response) {
    for (name, value) in from {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            to.headers_mut().append(name.clone(), value.clone());
        }
    }
}

/// The page of ours that sent a form (browsers send `Referer` within the site:
/// `Referrer-Policy: same-origin`), among the ones a form may return to.
fn referring_page(headers: &HeaderMap) -> Option<&'static str> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let path = referer.split_once("://")?.1.strip_prefix(host)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    ["/account", "/account/2fa/setup"].into_iter().find(|page| *page == path)
}

/// Where a plain form post goes next, and what that page says.
async fn redirect_for_form(
    endpoint: &str,
    status: StatusCode,
    json: &serde_json::Value,
    session: Option<Session>,
    secret_box: &SecretBox,
    came_from: Option<&'static str>,
    secure_cookies: bool,
) -> Option<Response> {
    let ok = |message: &str| Some(Flash { is_error: false, message: message.to_owned() });
    let (location, message) = if status.is_success() {
        match endpoint {
            "register" => ("/account", ok("Welcome! Your account is ready.")),
            "login" if json["second_factor"] == serde_json::Value::Bool(true) => ("/login/2fa", None),
            "login" => ("/account", ok("You are signed in.")),
            "login/2fa" | "login/recovery" => ("/account", ok("You are signed in.")),
            "logout" => ("/login", ok("You are signed out.")),
            "logout/others" => ("/account", ok("Every other session of your account is signed out.")),
            "2fa/disable" => ("/account", ok("Two-factor authentication is off. Your recovery codes no longer work.")),
            // Back to the page that asked for it, where the change can now be made.
            "reauthenticate" => {
                (came_from.unwrap_or("/account"), ok("Thank you. You can make changes for the next 10 minutes."))
            }
            "2fa/setup" => ("/account/2fa/setup", None),
            "2fa/confirm" | "2fa/recovery-codes" => {
                let codes: Vec<String> = serde_json::from_value(json["recovery_codes"].clone()).unwrap_or_default();
                if let Some(session) = session {
                    if let Err(e) = AuthSession::new(session, None).stash_recovery_codes(&codes, secret_box).await {
                        tracing::error!(error = ?e, "could not keep the recovery codes for the next page");
                    }
                }
                let message = if endpoint == "2fa/confirm" {
                    "Two-factor authentication is on. Save your recovery codes now."
                } else {
                    "New recovery codes are ready; the old ones no longer work. Save these now."
                };
                ("/account", ok(message))
            }
            _ => return None,
        }
    } else {
        let message = json["error"].as_str().unwrap_or("Something went wrong. Please try again.").to_owned();
        let page = match endpoint {
            "register" => "/register",
            "login" => "/login",
            "login/2fa" | "login/recovery" => "/login/2fa",
            "2fa/setup" | "2fa/confirm" => "/account/2fa/setup",
            "logout" => "/",
            _ => "/account",
        };
        (page, Some(Flash { is_error: true, message }))
    };
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(cookie) = message.as_ref().and_then(|m| flash::set_cookie(m, secure_cookies)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Some(response)
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
    fn a_form_returns_only_to_our_own_pages() {
        let from =
            |referer: &'static str| referring_page(&headers(&[("host", "127.0.0.1:3000"), ("referer", referer)]));
        assert_eq!(from("http://127.0.0.1:3000/account/2fa/setup"), Some("/account/2fa/setup"));
        assert_eq!(from("http://127.0.0.1:3000/account?x=1"), Some("/account"));
        assert_eq!(from("http://evil.example/account/2fa/setup"), None);
        assert_eq!(from("http://127.0.0.1:3000/somewhere"), None);
    }

    #[test]
    fn requests_without_origin_are_not_cross_site() {
        assert!(!is_cross_site(&headers(&[("host", "127.0.0.1:3000")])));
    }

    #[test]
    fn our_own_origin_is_accepted_and_others_are_not() {
        assert!(!is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3001")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn browsers_posting_forms_want_html_and_scripts_do_not() {
        assert!(is_plain_form_post("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!is_plain_form_post("application/json"));
        assert!(!is_plain_form_post("*/*"));
        assert!(!is_plain_form_post(""));
    }
}
