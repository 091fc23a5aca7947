//! The answer to a method an address does not take: a 405 that says so (the router adds the
//! `Allow` header after it). `/api/*` answers `{"error": …}` as every API error does (`docs/contract/README.md`, Errors);
//! the token, introspection and userinfo endpoints, read by apps' OAuth libraries, an RFC 6749-style JSON error
//! (with CORS, as everything they answer); any other address a sentence.

use super::json_errors::json_error;
use crate::oidc;
use axum::{
    extract::Request,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

pub async fn answer(request: Request) -> Response {
    let path = request.uri().path();
    let status = StatusCode::METHOD_NOT_ALLOWED;
    if path.starts_with("/api/authz/") {
        return json_error(status, "This endpoint only accepts GET and HEAD.");
    }
    if path.starts_with("/api/") {
        return json_error(status, "This endpoint only accepts POST.");
    }
    let for_apps = match path {
        oidc::TOKEN => Some("The token endpoint only accepts POST."),
        oidc::INTROSPECT => Some("The introspection endpoint only accepts POST."),
        oidc::USERINFO => Some("The userinfo endpoint only accepts GET and POST."),
        _ => None,
    };
    if let Some(description) = for_apps {
        let error = json!({ "error": "invalid_request", "error_description": description });
        return oidc::cors((status, Json(error)).into_response());
    }
    (status, format!("This address does not take {}; its Allow header lists what it takes.", request.method()))
        .into_response()
}
