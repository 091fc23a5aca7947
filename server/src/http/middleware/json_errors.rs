//! Every `/api/*` answer that is an error is `{"error": "<message for a person>"}` (`docs/contract/README.md`, Errors): the
//! server functions' own errors already are; the router's 404 and 405, and the server-function
//! layer's "no such function", are made into it here.

use axum::{
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use http_body_util::BodyExt;

pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"))
}

/// The answer of an `/api/*` request, with any error body that is not JSON made into one. JSON
/// answers and redirects (a plain form post's next page) go out as they are.
pub async fn ensure_json(response: Response, endpoint: &str) -> Response {
    let status = response.status();
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(%status, endpoint, "API request failed");
    }
    if is_json(response.headers()) || status.is_redirection() || status.is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side."),
    };
    // The server-function layer answers an unknown function with a plain-text 400.
    if status == StatusCode::BAD_REQUEST && String::from_utf8_lossy(&bytes).contains("Could not find a server function")
    {
        return json_error(StatusCode::NOT_FOUND, "There is no such endpoint.");
    }
    // (A method an endpoint does not take never gets here: `wrong_method` answers it.)
    let message = match status {
        StatusCode::NOT_FOUND => "There is no such endpoint.",
        s if s.is_client_error() => "The request could not be understood.",
        _ => "Something went wrong on our side. Please try again.",
    };
    let mut answer = json_error(status, message);
    // Keep what the handler set besides its body (`Retry-After`, `Allow`, cookies).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}
