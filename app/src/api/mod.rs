//! The server functions, at the fixed endpoints of `shared/API.md` (`#[server(endpoint = ...)]`
//! serves each at `POST /api/<endpoint>`), and the JSON bodies they answer with.
//!
//! Every field arrives as `Option<String>`, so a missing field is a 400 with a message rather
//! than a decoding failure; a `secret` or any other unknown field is ignored.

pub mod manage_two_factor;
pub mod page_data;
pub mod registration;
pub mod sign_in;
pub mod two_factor_setup;

use serde::{Deserialize, Serialize};

/// A success with nothing to say: serialises as exactly `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Done {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registered {
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordAccepted {
    /// True when the account has 2FA on and the session now waits for the code.
    pub second_factor: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub username: String,
    pub two_factor: bool,
}

/// A new TOTP key for the setup page. Sent once, to the signed-in owner; never sent back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupKey {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A one-shot message for the next page (a form post with JavaScript off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub is_error: bool,
    pub message: String,
}
