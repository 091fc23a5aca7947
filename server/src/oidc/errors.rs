//! Every failure of an OpenID Connect endpoint, as HTTP: the one place that maps them.

use super::answers::token_answer;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::tokens::TokenError;
use serde_json::json;

pub(super) fn server_error(e: domain::AuthError) -> Response {
    tracing::error!(error = %e, "OpenID Connect endpoint failed");
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")]).into_response()
}

pub(super) fn token_error(e: TokenError) -> Response {
    if let Some(unexpected) = e.unexpected {
        return server_error(unexpected);
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, Json(json!({ "error": e.error, "error_description": e.description }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"token\""));
    }
    token_answer(response)
}
