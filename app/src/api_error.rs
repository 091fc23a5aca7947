//! The one error type every server function returns, as it travels over the wire.
//!
//! The contract (`docs/contract/README.md`) fixes its shape: exactly
//! `{"error": "<message for a person>"}`. The HTTP status is set on the server from the domain's
//! `AuthError`, in one place (`server/wire_error.rs`).

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A message meant for the person in front of the form.
    pub error: String,
}

impl ApiError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { error: message.into() }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)
    }
}

impl std::error::Error for ApiError {}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// Errors raised by the server-function machinery itself: on the server that is a request
    /// whose body could not be decoded (a client mistake, so 400, never a 500); in the browser a
    /// network failure.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::MissingArg(_) => {
                #[cfg(feature = "ssr")]
                crate::server::response_options::set_status(http::StatusCode::BAD_REQUEST);
                ApiError::new(
                    "The request could not be read: send the form fields as application/x-www-form-urlencoded.",
                )
            }
            ServerFnErrorErr::Request(_) => {
                ApiError::new("The server could not be reached. Check your connection and try again.")
            }
            other => {
                #[cfg(feature = "ssr")]
                {
                    tracing::error!(error = %other, "server function failed outside its body");
                    crate::server::response_options::set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
                }
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                ApiError::new("Something went wrong on our side. Please try again.")
            }
        }
    }
}
