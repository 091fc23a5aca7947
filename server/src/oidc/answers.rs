//! How the provider's answers are dressed: CORS for the endpoints other origins call, no caching
//! for token answers, query parameters added to a redirect.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use domain::request_target::encode_component;

pub fn cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    // A script on another origin may read why userinfo refused its token.
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("WWW-Authenticate"));
    response
}

/// A token endpoint answer: never cached (RFC 6749 §5.1 asks for `Pragma: no-cache` beside the
/// `Cache-Control: no-store` every answer of this server carries, for HTTP/1.0 caches).
pub(super) fn token_answer(mut response: Response) -> Response {
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    cors(response)
}

/// A CORS preflight for the cross-origin endpoints.
pub async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// `uri` with query parameters added.
pub(super) fn with_query(uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let query: Vec<String> =
        pairs.iter().filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode_component(v)))).collect();
    if query.is_empty() {
        return uri.to_owned();
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.join("&"))
}
