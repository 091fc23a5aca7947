//! Passkeys (`docs/contract/security-keys.md`, "Passkeys"): `POST /api/passkeys/add/start` and
//! `/add/finish` (a recent sign-in, like adding a security key), and the sign-in with a passkey
//! alone, `POST /api/login/passkey/start` and `/finish` (no username, no password). Each ceremony's
//! two requests come from the browser's script (`islands/security_keys.js`). `PASSKEYS=off`: 400.

use super::{KeyAdded, SecurityKeyChallenge};
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// The challenge for adding a passkey named `name`.
#[server(endpoint = "passkeys/add/start")]
pub async fn start_adding_passkey(name: Option<String>) -> Result<SecurityKeyChallenge, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let challenge = domain::flows::passkeys::start_adding(&state, &session, name).await?;
    Ok(SecurityKeyChallenge { options: challenge.options_json })
}

/// The passkey's answer: it is added (the first key turns 2FA on; its recovery codes come back
/// once, as when adding a security key).
#[server(endpoint = "passkeys/add/finish")]
pub async fn finish_adding_passkey(credential: Option<String>) -> Result<KeyAdded, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::ACCOUNT);
    let (state, session) = request_context()?;
    let added = domain::flows::passkeys::finish_adding(&state, &session, credential).await?;
    let recovery_codes = added.recovery_codes.unwrap_or_default();
    if !recovery_codes.is_empty() && form.shows_next_page() {
        session.stash_recovery_codes(&recovery_codes, &state.secret_box).await?;
    }
    let message = if recovery_codes.is_empty() {
        format!("The passkey \u{201c}{}\u{201d} is added. You can sign in with it alone.", added.name)
    } else {
        "Two-factor authentication is on with your passkey. Save your recovery codes now.".to_owned()
    };
    form.next(paths::ACCOUNT, Some(&message));
    Ok(KeyAdded { name: added.name, recovery_codes })
}

/// The challenge for a sign-in with a passkey (any visitor).
#[server(endpoint = "login/passkey/start")]
pub async fn start_passkey_sign_in() -> Result<SecurityKeyChallenge, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let challenge = domain::flows::passkeys::start_sign_in(&state, &session).await?;
    Ok(SecurityKeyChallenge { options: challenge.options_json })
}

/// The passkey's answer: signed in with both factors (a new session id), then on to `rd` when it
/// is a valid target.
#[server(endpoint = "login/passkey/finish")]
pub async fn finish_passkey_sign_in(credential: Option<String>, rd: Option<String>) -> Result<super::Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::return_to::{self, ReturnTo};
    let form = FormPost::on(paths::LOGIN);
    let (state, session) = request_context()?;
    let rd = ReturnTo::from_field(rd.as_deref(), &state.settings);
    let form = form.carrying(rd.as_ref());
    domain::flows::passkeys::finish_sign_in(&state, &session, credential).await?;
    form.next(
        &paths::landing(return_to::after_second_factor(rd.as_ref())),
        Some("You are signed in with your passkey."),
    );
    Ok(super::Done {})
}
