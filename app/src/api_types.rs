//! The JSON bodies the API answers with (`docs/contract/api.md`), shared by the server functions, the pages and
//! the server's transport layers.

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

/// `POST /api/app-passwords/create`: the new app password, shown once, and the id "Revoke" posts.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AppPasswordCreated {
    pub app_password: String,
    pub id: i64,
}

impl std::fmt::Debug for AppPasswordCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppPasswordCreated {{ id: {}, .. }}", self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A WebAuthn challenge: `options` is the JSON the browser's script hands to
/// `navigator.credentials.create` or `get` (after decoding its base64url fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityKeyChallenge {
    pub options: String,
}

/// A key added; `recovery_codes` are the new codes when the key turned 2FA on (shown once),
/// else empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyAdded {
    pub name: String,
    pub recovery_codes: Vec<String>,
}

/// A one-shot message for the next page (a form post with JavaScript off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub is_error: bool,
    pub message: String,
}
