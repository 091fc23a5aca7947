//! Turning 2FA on: `POST /api/2fa/setup` and `POST /api/2fa/confirm`.

use super::{RecoveryCodes, SetupKey};
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// A new key, kept server-side as pending for this session alone. A `secret` sent by the client
/// is not even read. Needs a recent sign-in: a stale or stolen session may neither read the key
/// the owner is scanning nor plant one of its own.
#[server(endpoint = "2fa/setup")]
pub async fn start_two_factor_setup() -> Result<SetupKey, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::{flows::two_factor_setup, visitor::Visitor};
    let form = FormPost::on(paths::TWO_FACTOR_SETUP);
    let (state, session) = request_context()?;
    let account = Visitor::of(&state, &session).await?.recent_account(&state).await?;
    let offer = two_factor_setup::start(&state, &session, &account).await?;
    form.next(paths::TWO_FACTOR_SETUP, None);
    Ok(SetupKey { secret: offer.secret.to_base32(), otpauth_uri: offer.otpauth_uri, qr_svg: offer.qr_svg })
}

/// Confirms the pending key with a current code; answers the recovery codes, once. Like every
/// change to 2FA it needs a recent sign-in (a stolen, older session cannot put its own phone on
/// the account).
#[server(endpoint = "2fa/confirm")]
pub async fn confirm_two_factor(otp: Option<String>, rd: Option<String>) -> Result<RecoveryCodes, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::{
        flows::{
            return_to::{self, ReturnTo},
            two_factor_setup,
        },
        visitor::Visitor,
    };
    let form = FormPost::on(paths::TWO_FACTOR_SETUP);
    let (state, session) = request_context()?;
    let rd = ReturnTo::from_field(rd.as_deref(), &state.settings);
    let form = form.carrying(rd.as_ref());
    let account = Visitor::of(&state, &session).await?.recent_account(&state).await?;
    let recovery_codes = two_factor_setup::confirm(&state, &session, &account, otp).await?;
    // A browser is shown the codes by the next page, once.
    if form.shows_next_page() {
        session.stash_recovery_codes(&recovery_codes, &state.secret_box).await?;
    }
    // The account page shows the codes once, then (with `rd`) a link on to the protected app.
    let next = return_to::carried(paths::ACCOUNT, rd.as_ref());
    form.next(&next, Some("Two-factor authentication is on. Save your recovery codes now."));
    Ok(RecoveryCodes { recovery_codes })
}
