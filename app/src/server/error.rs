//! The domain error of every sign-in flow, and its single mapping to an HTTP answer.

use crate::api_error::ApiError;
use http::{header, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The client sent something malformed; the message says what to fix.
    #[error("{0}")]
    BadInput(String),
    /// Same answer for an unknown user and a wrong password (no enumeration).
    #[error("Wrong username or password.")]
    InvalidCredentials,
    #[error("That code is not right. Check the code in your authenticator app and try again.")]
    CodeRejected,
    /// A wrong code that would have been right a few minutes earlier or later.
    #[error("That code is not right for this moment: the clock of your phone seems to be off by about {minutes} minute{}. Set its date and time to automatic, then enter the new code.", if *minutes == 1 { "" } else { "s" })]
    CodeRejectedClockOff { minutes: u64 },
    /// HOTP: the code belongs to a counter beyond the look-ahead window (RFC 4226 §7.4).
    #[error(
        "Your device is ahead of the server. Ask your app for the next code and enter it too, to get back in step."
    )]
    HotpResyncNeeded,
    #[error("That recovery code is not right, or it was already used.")]
    RecoveryCodeRejected,
    #[error("Your sign-in has expired or was not started. Sign in with your password again.")]
    NoPendingSignIn,
    #[error("Please sign in first.")]
    NotSignedIn,
    #[error("For your security, confirm your password and a current code first: your last sign-in was more than 10 minutes ago.")]
    ReauthenticationRequired,
    #[error("That username is already taken. Choose another one.")]
    UsernameTaken,
    #[error("Accounts on this service are made by its administrator: ask them for one.")]
    RegistrationClosed,
    #[error("Two-factor authentication is already on for this account.")]
    TwoFactorAlreadyOn,
    #[error("Two-factor authentication is off for this account: there is nothing to change.")]
    TwoFactorOff,
    #[error("The setup has expired or was not started. Start the setup again to get a new key.")]
    NoPendingSetup,
    #[error("Too many wrong codes: sign-in with codes is locked for this account. Use a recovery code, or ask an administrator to unlock it.")]
    SecondFactorLocked,
    #[error("Too many attempts. Try again in {} seconds.", retry_after.as_secs().max(1))]
    Throttled { retry_after: Duration },
    #[error("The server is busy. Try again in {} seconds.", retry_after.as_secs().max(1))]
    Busy { retry_after: Duration },
    /// The database does not answer (down, restarting, unreachable): try again shortly.
    #[error("The service is briefly unavailable. Try again in a few seconds.")]
    DatabaseUnavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        if database_unreachable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            AuthError::DatabaseUnavailable
        } else {
            AuthError::Unexpected(e.into())
        }
    }
}

/// Errors that mean "the database is not there right now" rather than "this request is wrong".
pub fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Tls(_) => true,
        // PostgreSQL: connection exceptions (08…), admin shutdown / crash (57P0x), statement
        // timeout (57014), too many connections (53300).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "57014" || code == "53300"
        }),
        _ => false,
    }
}

impl AuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::BadInput(_) => StatusCode::BAD_REQUEST,
            AuthError::InvalidCredentials
            | AuthError::CodeRejected
            | AuthError::CodeRejectedClockOff { .. }
            | AuthError::HotpResyncNeeded
            | AuthError::RecoveryCodeRejected
            | AuthError::NoPendingSignIn
            | AuthError::NotSignedIn
            | AuthError::ReauthenticationRequired
            | AuthError::TwoFactorOff => StatusCode::UNAUTHORIZED,
            AuthError::UsernameTaken | AuthError::TwoFactorAlreadyOn | AuthError::NoPendingSetup => {
                StatusCode::CONFLICT
            }
            AuthError::RegistrationClosed => StatusCode::FORBIDDEN,
            AuthError::Throttled { .. } | AuthError::SecondFactorLocked => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Busy { .. } | AuthError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::Throttled { retry_after } | AuthError::Busy { retry_after } => Some(*retry_after),
            // Locked until a recovery code or an operator lifts it; trying again later is all
            // a client can do with codes.
            AuthError::SecondFactorLocked => {
                Some(Duration::from_secs(crate::server::throttle::MAX_DELAY_SECONDS as u64))
            }
            AuthError::DatabaseUnavailable => Some(Duration::from_secs(5)),
            _ => None,
        }
    }

    /// What the client is told. An unexpected failure's cause chain goes to the log; the
    /// client gets a short message.
    fn public_message(&self) -> String {
        let status = self.status();
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = ?self, "request failed");
            return "Something went wrong on our side. Please try again.".into();
        }
        self.to_string()
    }

    fn retry_after_header(&self) -> Option<HeaderValue> {
        self.retry_after().and_then(|wait| HeaderValue::from_str(&wait.as_secs().max(1).to_string()).ok())
    }
}

/// Turns a domain error into the wire error, setting the status (and `Retry-After`) of the
/// response on the way. Every server function ends with `.map_err(respond)`.
pub fn respond(err: AuthError) -> ApiError {
    set_status(err.status());
    if let (Some(seconds), Some(options)) = (err.retry_after_header(), use_context::<ResponseOptions>()) {
        options.insert_header(header::RETRY_AFTER, seconds);
    }
    ApiError::new(err.public_message())
}

/// The same answer as `respond` gives, for the endpoints that are plain axum handlers.
impl axum::response::IntoResponse for AuthError {
    fn into_response(self) -> axum::response::Response {
        let mut response = (self.status(), axum::Json(ApiError::new(self.public_message()))).into_response();
        if let Some(seconds) = self.retry_after_header() {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}

/// Sets the HTTP status of the server function's response, when there is one.
pub fn set_status(status: StatusCode) {
    if let Some(options) = use_context::<ResponseOptions>() {
        options.set_status(status);
    }
}
