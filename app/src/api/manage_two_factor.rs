//! Changing 2FA once it is on: `POST /api/2fa/disable`, `POST /api/2fa/recovery-codes`, and the
//! re-authentication they may ask for first (`POST /api/reauthenticate`).

use super::{Done, RecoveryCodes};
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// Turns 2FA off. `otp` takes a current code or a recovery code.
#[server(endpoint = "2fa/disable")]
pub async fn disable_two_factor(password: Option<String>, otp: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::ACCOUNT);
    let (state, session) = request_context()?;
    domain::flows::two_factor_settings::disable(&state, &session, password, otp).await?;
    form.next(paths::ACCOUNT, Some("Two-factor authentication is off. Your recovery codes no longer work."));
    Ok(Done {})
}

/// New recovery codes for a current code; the old ones stop working.
#[server(endpoint = "2fa/recovery-codes")]
pub async fn regenerate_recovery_codes(otp: Option<String>) -> Result<RecoveryCodes, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::ACCOUNT);
    let (state, session) = request_context()?;
    let recovery_codes = domain::flows::two_factor_settings::regenerate_recovery_codes(&state, &session, otp).await?;
    // A browser is shown the codes by the next page, once.
    if form.shows_next_page() {
        session.stash_recovery_codes(&recovery_codes, &state.secret_box).await?;
    }
    form.next(paths::ACCOUNT, Some("New recovery codes are ready; the old ones no longer work. Save these now."));
    Ok(RecoveryCodes { recovery_codes })
}

/// Password and a current code again, for sensitive changes after the 10-minute window.
#[server(endpoint = "reauthenticate")]
pub async fn reauthenticate(password: Option<String>, otp: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    // Back to the page that asked for it (a failure too), where the change can now be made.
    let asking =
        [paths::ACCOUNT, paths::SESSIONS, paths::APPS, paths::PROFILE, paths::TWO_FACTOR_SETUP, paths::CONSOLE];
    let form = FormPost::on_sending_page(&asking, paths::ACCOUNT);
    let (state, session) = request_context()?;
    domain::flows::reauthentication::reauthenticate(&state, &session, password, otp).await?;
    let message = "Thank you. You can make changes for the next 10 minutes.";
    form.back(&asking, paths::ACCOUNT, Some(message));
    Ok(Done {})
}
