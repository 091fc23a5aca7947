//! The domain error as it goes over the wire: its HTTP status and `Retry-After`, decided here
//! once, and the message for a person (`{"error": ...}`, `docs/contract/README.md`). Server functions convert with
//! `?` (`From<AuthError> for ApiError`); plain axum handlers answer `error_response`.

use crate::{
    api_error::ApiError,
    server::{form_reply, response_options},
};
use axum::response::{IntoResponse, Response};
use domain::{storage::throttle::MAX_DELAY_SECONDS, AuthError};
use http::{header, HeaderValue, StatusCode};
use std::time::Duration;

pub fn status(error: &AuthError) -> StatusCode {
    match error {
        AuthError::BadInput(_) => StatusCode::BAD_REQUEST,
        AuthError::InvalidCredentials
        | AuthError::CodeRejected
        | AuthError::CodeRejectedClockOff { .. }
        | AuthError::HotpResyncNeeded
        | AuthError::RecoveryCodeRejected
        | AuthError::SecurityKeyRejected
        | AuthError::NoPendingSecurityKeyRequest
        | AuthError::NoPendingSignIn
        | AuthError::NotSignedIn
        | AuthError::ReauthenticationRequired
        | AuthError::TwoFactorOff => StatusCode::UNAUTHORIZED,
        AuthError::UsernameTaken
        | AuthError::EmailTaken
        | AuthError::TwoFactorAlreadyOn
        | AuthError::NoPendingSetup
        | AuthError::Conflict(_) => StatusCode::CONFLICT,
        AuthError::NotFound => StatusCode::NOT_FOUND,
        AuthError::InvitationGone | AuthError::ResetLinkGone | AuthError::EmailLinkGone => StatusCode::GONE,
        AuthError::RegistrationClosed | AuthError::EmailLinkOfAnotherAccount => StatusCode::FORBIDDEN,
        AuthError::NoSuchSession | AuthError::NoSuchApp | AuthError::NoSuchDevice | AuthError::NoSuchAppPassword => {
            StatusCode::NOT_FOUND
        }
        AuthError::Throttled { .. } | AuthError::SecondFactorLocked => StatusCode::TOO_MANY_REQUESTS,
        AuthError::Busy { .. } | AuthError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        AuthError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Every refusal to try again later (a throttle, a lock) in the metrics.
fn count_throttled(error: &AuthError) {
    if status(error) == StatusCode::TOO_MANY_REQUESTS {
        metrics::counter!("throttled_attempts_total").increment(1);
    }
}

fn retry_after(error: &AuthError) -> Option<HeaderValue> {
    let wait = match error {
        AuthError::Throttled { retry_after } | AuthError::Busy { retry_after } => *retry_after,
        // Locked until a recovery code or an operator lifts it; trying again later is all a
        // client can do with codes.
        AuthError::SecondFactorLocked => Duration::from_secs(MAX_DELAY_SECONDS as u64),
        AuthError::DatabaseUnavailable => Duration::from_secs(5),
        _ => return None,
    };
    HeaderValue::from_str(&wait.as_secs().max(1).to_string()).ok()
}

/// What the client is told. An unexpected failure's cause chain goes to the log; the client
/// gets a short message.
pub fn public_message(error: &AuthError) -> String {
    let status = status(error);
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(error = ?error, "request failed");
        return "Something went wrong on our side. Please try again.".into();
    }
    error.to_string()
}

/// A server function's failure: the status and `Retry-After` of its response are set on the
/// way, and a browser posting a form without JavaScript is sent back to the form's page with the
/// message (`form_reply`).
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        count_throttled(&error);
        response_options::set_status(status(&error));
        if let Some(seconds) = retry_after(&error) {
            response_options::insert_header(header::RETRY_AFTER, seconds);
        }
        let message = public_message(&error);
        form_reply::failed(&message);
        ApiError::new(message)
    }
}

/// The same answer for the endpoints that are plain axum handlers.
pub fn error_response(error: AuthError) -> Response {
    count_throttled(&error);
    let mut response = (status(&error), axum::Json(ApiError::new(public_message(&error)))).into_response();
    if let Some(seconds) = retry_after(&error) {
        response.headers_mut().insert(header::RETRY_AFTER, seconds);
    }
    response
}

/// Something the server should always have in a request's context is not there: a bug.
pub fn missing_context(what: &str) -> AuthError {
    AuthError::unexpected(format!("{what} missing from the request's context"))
}
