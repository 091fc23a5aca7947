//! Changing 2FA once it is on: new recovery codes, or turning it off. Both need a recent sign-in
//! and a proof of the second factor, and both end the account's other sessions.

use super::{
    account_change, reauthentication,
    second_factor::{self},
    session::SessionData,
};
use crate::{
    credentials::recovery_codes,
    error::AuthError,
    input,
    services::Services,
    storage::{accounts, security_log::Event},
    visitor::Visitor,
};

/// Turns 2FA off: needs a recent sign-in, the password and a current code (or a recovery code).
/// The key and the recovery codes are voided; turning it on again starts a new setup.
#[tracing::instrument(skip_all)]
pub async fn disable(
    services: &Services,
    session: &impl SessionData,
    password: Option<String>,
    otp: Option<String>,
) -> Result<(), AuthError> {
    let account = Visitor::of(services, session).await?.recent_account(services).await?;
    if !account.two_factor_on() {
        return Err(AuthError::TwoFactorOff);
    }
    let proof = second_factor::code_or_recovery_code(otp)?;
    reauthentication::check_factors(services, session, &account, password, Some(&proof)).await?;
    let raised =
        accounts::disable_two_factor(&services.db, &services.access_tokens, account.id, Some(account.session_epoch))
            .await?;
    account_change::finish(services, session, &account, raised, Event::TwoFactorDisabled, AuthError::TwoFactorOff).await
}

/// New recovery codes: needs a recent sign-in and a current code from the app; the old set is
/// void at once. An account whose only second factors are security keys has no code to give:
/// its recent sign-in (password and key, within 10 minutes) is the proof.
#[tracing::instrument(skip_all)]
pub async fn regenerate_recovery_codes(
    services: &Services,
    session: &impl SessionData,
    otp: Option<String>,
) -> Result<Vec<String>, AuthError> {
    let account = Visitor::of(services, session).await?.recent_account(services).await?;
    if !account.two_factor_on() {
        return Err(AuthError::TwoFactorOff);
    }
    if account.otp_secret.is_some() {
        let code = input::one_time_code(otp)?;
        second_factor::verify_code(services, &account, &code, session.client_address()).await?;
    }
    let codes = recovery_codes::generate_set();
    let sealed = recovery_codes::seal_set(&services.recovery_codes, &codes);
    let raised = accounts::regenerate_recovery_codes(&services.db, account.id, &sealed, account.session_epoch).await?;
    let event = Event::RecoveryCodesRegenerated;
    account_change::finish(services, session, &account, raised, event, AuthError::TwoFactorOff).await?;
    Ok(codes)
}
