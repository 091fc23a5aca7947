//! Every failure of an OpenID Connect endpoint, as HTTP: the one place that maps them.

use super::answers::token_answer;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::errors::{TokenError, TokenRefusal};
use serde_json::json;

pub(super) fn server_error(e: domain::AuthError) -> Response {
    tracing::error!(error = %e, "OpenID Connect endpoint failed");
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")]).into_response()
}

/// RFC 6749 §5.2: 401 with `WWW-Authenticate` for a client that failed to authenticate, else
/// 400; the body names the error and says why.
pub(super) fn token_error(e: TokenError) -> Response {
    let (refusal, description) = match e {
        TokenError::Failed(cause) => return server_error(cause),
        TokenError::Refused { refusal, description } => (refusal, description),
    };
    let status = match refusal {
        TokenRefusal::InvalidClient => StatusCode::UNAUTHORIZED,
        TokenRefusal::InvalidRequest
        | TokenRefusal::InvalidGrant
        | TokenRefusal::UnauthorizedClient
        | TokenRefusal::UnsupportedGrantType
        | TokenRefusal::InvalidScope => StatusCode::BAD_REQUEST,
    };
    let body = Json(json!({ "error": refusal.code(), "error_description": description }));
    let mut response = (status, body).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"token\""));
    }
    token_answer(response)
}
