//! Re-authentication: the password and (with 2FA on) a current code or a recovery code restart
//! the window for sensitive changes.

use super::{
    password_check,
    second_factor::{self, Proof},
    session::{self, SessionData},
};
use crate::{
    error::AuthError,
    input,
    services::Services,
    storage::{accounts::Account, security_log::Event},
    visitor::Visitor,
};

#[tracing::instrument(skip_all)]
pub async fn reauthenticate(
    services: &Services,
    session: &impl SessionData,
    password: Option<String>,
    otp: Option<String>,
) -> Result<(), AuthError> {
    let account = Visitor::of(services, session).await?.account(services).await?;
    let proof = if account.two_factor_on() { Some(second_factor::code_or_recovery_code(otp)?) } else { None };
    check_factors(services, session, &account, password, proof.as_ref()).await?;
    session::refresh(session, account.id, account.session_epoch, services.now()).await?;
    services.log(account.id, Event::Reauthenticated, session.client_address()).await;
    Ok(())
}

/// Checks the password, then the second factor (if any), for a sensitive change. The password is
/// under the same per-username throttle as the sign-in form (which already tells a right password
/// from a wrong one, so checking it first tells nothing new), and the code under the per-account
/// code throttle and lock; a mistyped password does not spend the code.
pub async fn check_factors(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
    password: Option<String>,
    proof: Option<&Proof>,
) -> Result<(), AuthError> {
    let password = input::sign_in_password(password)?;
    password_check::check(services, session, &account.username, Some(account), password).await?;
    match proof {
        Some(proof) => second_factor::verify(services, account, proof, session.client_address()).await,
        None => Ok(()),
    }
}
