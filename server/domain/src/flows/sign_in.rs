//! The two-step sign-in: the password, then (where 2FA is on) a code from the authenticator app
//! or a recovery code. Every step is throttled and logged.

use super::{
    password_check, remembered_devices,
    second_factor::{self, Proof},
    session::{self, SessionData},
};
use crate::{
    credentials::device_token,
    error::AuthError,
    input,
    services::Services,
    storage::{accounts, security_log::Event},
    visitor::Visitor,
};

/// What a right password leads to.
pub struct PasswordOutcome {
    /// The account has 2FA on and this browser is not one of its remembered devices: the
    /// session now waits for the code.
    pub second_factor: bool,
    /// The device token to hand the browser (see `credentials::device_token`).
    pub device_token: String,
    /// Who the visitor is now (signed in, or waiting for the code): whether `rd` needs two
    /// factors first.
    pub visitor: Visitor,
}

/// The password step.
#[tracing::instrument(skip_all)]
pub async fn password_step(
    services: &Services,
    session: &impl SessionData,
    username: Option<String>,
    password: Option<String>,
) -> Result<PasswordOutcome, AuthError> {
    let typed_name = input::sign_in_username(username.clone())?;
    let password = input::sign_in_password(password)?;
    // Throttled by the name as typed, whether or not such an account exists — or, from a
    // browser that signed in to this name before, by that device.
    let throttle_name = username.unwrap_or_default();
    let account = match &typed_name {
        Some(name) => accounts::find_by_username(&services.db, &services.secret_box, name).await?,
        None => None,
    };
    let accepted = password_check::check(services, session, &throttle_name, account.as_ref(), password).await?;
    let account = account.ok_or(AuthError::InvalidCredentials)?;
    // The session is stamped with the epoch just read; what this process kept of the account
    // may be older (an operator command run beside it moved the epoch less than a second ago)
    // and would end the new session at once.
    services.identities.forget(account.id);
    let device_token = device_token::token_for(
        &services.secret_box,
        &device_token::username_key(&throttle_name),
        accepted.device.as_deref(),
    )?;
    if accepted.device.is_none() {
        // The browser never gave this account's password before: its owner is told by mail.
        services.log_by(account.id, Event::NewDeviceSignIn, None, session.requester()).await;
    }
    let now = services.now();
    // A remembered device stands in for the second factor: asked only here, after the right
    // password, and only for the account its token was made for.
    let second_factor =
        account.two_factor_on() && !remembered_devices::recognises(services, session, account.id).await?;
    if second_factor {
        session::begin_second_factor(session, account.id, account.session_epoch, now).await?;
    } else if account.two_factor_on() {
        services.log(account.id, Event::SignedInOnRememberedDevice, session.client_address()).await;
        session::complete_sign_in(session, account.id, account.session_epoch, now).await?;
        session.mark_signed_in_on_remembered_device().await?;
    } else {
        services.log(account.id, Event::SignedInWithPassword, session.client_address()).await;
        session::complete_sign_in(session, account.id, account.session_epoch, now).await?;
    }
    let visitor = Visitor::of(services, session).await?;
    Ok(PasswordOutcome { second_factor, device_token, visitor })
}

/// The second step with a code from the authenticator app.
#[tracing::instrument(skip_all)]
pub async fn code_step(services: &Services, session: &impl SessionData, otp: Option<String>) -> Result<(), AuthError> {
    let code = input::one_time_code(otp)?;
    second_step(services, session, Proof::Code(code), Event::SignedInWithCode).await
}

/// The second step with a recovery code instead of the phone.
#[tracing::instrument(skip_all)]
pub async fn recovery_step(
    services: &Services,
    session: &impl SessionData,
    recovery_code: Option<String>,
) -> Result<(), AuthError> {
    let proof = Proof::RecoveryCode(recovery_code.unwrap_or_default());
    second_step(services, session, proof, Event::SignedInWithRecoveryCode).await
}

async fn second_step(
    services: &Services,
    session: &impl SessionData,
    proof: Proof,
    signed_in: Event,
) -> Result<(), AuthError> {
    let account = Visitor::of(services, session).await?.awaiting_second_factor(services, session).await?;
    let address = session.client_address();
    second_factor::verify(services, &account, &proof, address).await?;
    services.log(account.id, signed_in, address).await;
    session::complete_sign_in(session, account.id, account.session_epoch, services.now()).await
}
