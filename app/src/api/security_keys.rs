//! Security keys (WebAuthn): `POST /api/security-keys/add/start` and `/add/finish`,
//! `/api/security-keys/remove`, and the sign-in's key step, `POST /api/login/security-key/start`
//! and `/finish`, and re-authentication with a key, `POST /api/reauthenticate/security-key/start`
//! and `/finish` (with `password`). A ceremony's two requests come from the browser's script
//! (`islands/security_keys.js`): the challenge (`options`, the JSON for
//! `navigator.credentials.create` or `get`), then the key's answer (`credential`, JSON). Removing a
//! key is a plain form as well.

use super::{Done, KeyAdded, SecurityKeyChallenge};
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// The challenge for adding a key named `name` (a recent sign-in is needed).
#[server(endpoint = "security-keys/add/start")]
pub async fn start_adding_security_key(name: Option<String>) -> Result<SecurityKeyChallenge, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let challenge = domain::flows::security_keys::start_adding(&state, &session, name).await?;
    Ok(SecurityKeyChallenge { options: challenge.options_json })
}

/// The key's answer: the key is added. When it is the account's first second factor, 2FA is on
/// and the recovery codes come back, once (kept for the account page to show, when a browser
/// page sent it).
#[server(endpoint = "security-keys/add/finish")]
pub async fn finish_adding_security_key(credential: Option<String>) -> Result<KeyAdded, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::ACCOUNT);
    let (state, session) = request_context()?;
    let added = domain::flows::security_keys::finish_adding(&state, &session, credential).await?;
    let recovery_codes = added.recovery_codes.unwrap_or_default();
    // A browser (the page's script) is shown the codes by the next page, once; a script of its
    // own has them in the answer, and only there.
    if !recovery_codes.is_empty() && form.shows_next_page() {
        session.stash_recovery_codes(&recovery_codes, &state.secret_box).await?;
    }
    let message = if recovery_codes.is_empty() {
        format!("The security key \u{201c}{}\u{201d} is added.", added.name)
    } else {
        "Two-factor authentication is on with your security key. Save your recovery codes now.".to_owned()
    };
    form.next(paths::ACCOUNT, Some(&message));
    Ok(KeyAdded { name: added.name, recovery_codes })
}

/// Removes a key (`key_id`). The account's last second factor also needs `password` and `otp`
/// (a recovery code, or a code from the app), as turning 2FA off does.
#[server(endpoint = "security-keys/remove")]
pub async fn remove_security_key(
    key_id: Option<String>,
    password: Option<String>,
    otp: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::ACCOUNT);
    let (state, session) = request_context()?;
    let name = domain::flows::security_keys::remove(&state, &session, key_id, password, otp).await?;
    form.next(paths::ACCOUNT, Some(&format!("The security key \u{201c}{name}\u{201d} is removed.")));
    Ok(Done {})
}

/// The challenge for re-authenticating with a key (a signed-in session).
#[server(endpoint = "reauthenticate/security-key/start")]
pub async fn start_security_key_reauthentication() -> Result<SecurityKeyChallenge, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let challenge = domain::flows::security_keys::start_reauthentication(&state, &session).await?;
    Ok(SecurityKeyChallenge { options: challenge.options_json })
}

/// The password and the key's answer: sensitive changes are allowed for 10 minutes again.
#[server(endpoint = "reauthenticate/security-key/finish")]
pub async fn finish_security_key_reauthentication(
    password: Option<String>,
    credential: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::ACCOUNT);
    let (state, session) = request_context()?;
    domain::flows::security_keys::finish_reauthentication(&state, &session, password, credential).await?;
    let message = "Thank you. You can make changes for the next 10 minutes.";
    form.back(&[paths::ACCOUNT, paths::TWO_FACTOR_SETUP], paths::ACCOUNT, Some(message));
    Ok(Done {})
}

/// The challenge for the sign-in's key step (a session past its password step).
#[server(endpoint = "login/security-key/start")]
pub async fn start_security_key_sign_in() -> Result<SecurityKeyChallenge, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let challenge = domain::flows::security_keys::start_sign_in(&state, &session).await?;
    Ok(SecurityKeyChallenge { options: challenge.options_json })
}

/// The key's answer: signed in (a new session id), then on to `rd` when it is a valid target.
/// `remember_device` as for a code (`sign_in::login_second_factor`).
#[server(endpoint = "login/security-key/finish")]
pub async fn finish_security_key_sign_in(
    credential: Option<String>,
    rd: Option<String>,
    remember_device: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::return_to::{self, ReturnTo};
    let form = FormPost::on(paths::SECOND_FACTOR);
    let (state, session) = request_context()?;
    let rd = ReturnTo::from_field(rd.as_deref(), &state.settings);
    let form = form.carrying(rd.as_ref());
    domain::flows::security_keys::finish_sign_in(&state, &session, credential).await?;
    super::sign_in::remember_if_asked(&state, &session, remember_device.as_deref()).await?;
    form.next(&paths::landing(return_to::after_second_factor(rd.as_ref())), Some("You are signed in."));
    Ok(Done {})
}
