//! The provider's protocol errors, typed: what the authorization endpoint sends back to a client
//! (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) and what the token endpoint answers
//! (RFC 6749 §5.2). The HTTP status of each is the server's to choose (`server/src/oidc/errors.rs`).

use crate::error::AuthError;
use std::fmt;

/// An authorization error, sent back to the client's redirect URI as `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeError {
    /// A parameter missing, repeated, malformed or not supported.
    InvalidRequest,
    /// A `response_type` other than `code`.
    UnsupportedResponseType,
    /// A scope without `openid`.
    InvalidScope,
    /// `prompt=none`, and the visitor would have to sign in (or sign in again, or set up 2FA).
    LoginRequired,
    /// The signed-in account is in none of the groups the app is open to.
    AccessDenied,
}

impl AuthorizeError {
    pub fn code(self) -> &'static str {
        match self {
            AuthorizeError::InvalidRequest => "invalid_request",
            AuthorizeError::UnsupportedResponseType => "unsupported_response_type",
            AuthorizeError::InvalidScope => "invalid_scope",
            AuthorizeError::LoginRequired => "login_required",
            AuthorizeError::AccessDenied => "access_denied",
        }
    }
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a token request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// A parameter missing, repeated or malformed.
    InvalidRequest,
    /// The client is unknown, or did not authenticate as it must.
    InvalidClient,
    /// The code or refresh token is unknown, used, expired, or not this client's.
    InvalidGrant,
    /// The client may not use this grant (a machine client asking for a code's tokens, an app
    /// asking for `client_credentials` without `--grant client_credentials`).
    UnauthorizedClient,
    /// A `grant_type` other than `authorization_code`, `refresh_token` and `client_credentials`.
    UnsupportedGrantType,
    /// A scope the client was not given (`client_credentials`).
    InvalidScope,
}

impl TokenRefusal {
    pub fn code(self) -> &'static str {
        match self {
            TokenRefusal::InvalidRequest => "invalid_request",
            TokenRefusal::InvalidClient => "invalid_client",
            TokenRefusal::InvalidGrant => "invalid_grant",
            TokenRefusal::UnauthorizedClient => "unauthorized_client",
            TokenRefusal::UnsupportedGrantType => "unsupported_grant_type",
            TokenRefusal::InvalidScope => "invalid_scope",
        }
    }
}

impl fmt::Display for TokenRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A token request that got no tokens.
#[derive(Debug)]
pub enum TokenError {
    /// Refused, with a description for the client's developer.
    Refused { refusal: TokenRefusal, description: String },
    /// Anything else (the database down, say): a server error.
    Failed(AuthError),
}

impl TokenError {
    pub fn refused(refusal: TokenRefusal, description: impl Into<String>) -> Self {
        TokenError::Refused { refusal, description: description.into() }
    }
}

impl From<AuthError> for TokenError {
    fn from(e: AuthError) -> Self {
        TokenError::Failed(e)
    }
}
