//! The password check of the sign-in form and of re-authentication: throttled per username (or
//! per known device) and per client address, a wrong password logged, an undecided one (503)
//! given back. An unknown user and a wrong password do the same work (a dummy hash is verified)
//! and get the same error.

use super::session::SessionData;
use crate::{
    credentials::device_token,
    error::AuthError,
    services::Services,
    storage::{accounts::Account, security_log::Event, throttle},
};
use secrecy::SecretString;

/// A right password, and the known device it came from (when the browser showed a genuine
/// device token for this username).
pub struct PasswordAccepted {
    pub device: Option<String>,
}

/// Checks `password` for `account` (`None`: no such account), counting the attempt under
/// `throttle_name` — the username as typed, whether or not it exists.
pub async fn check(
    services: &Services,
    session: &impl SessionData,
    throttle_name: &str,
    account: Option<&Account>,
    password: SecretString,
) -> Result<PasswordAccepted, AuthError> {
    let address = session.client_address();
    let device = device_token::known_device(&services.secret_box, session.device_token(), throttle_name);
    let device_id = device.as_deref();
    let now = services.now();
    let reserved = throttle::reserve_password_attempt(&services.db, throttle_name, address, device_id, now).await;
    // A reserved attempt is a failure until it is given back: the gate's keys found clear are
    // outdated.
    services.app_passwords.failure_written();
    reserved?;
    let stored_hash = account.map(|a| a.password_hash.clone());
    match services.passwords.verify_within(services.settings.password_wait, password, stored_hash).await {
        // A disabled account: the same answer as a wrong password (its owner learns nothing
        // an outsider would not), and the attempt stays counted.
        Ok(true) if account.is_some_and(|account| account.disabled) => Err(AuthError::InvalidCredentials),
        Ok(true) => {
            throttle::password_succeeded(&services.db, throttle_name, address, device_id).await?;
            Ok(PasswordAccepted { device })
        }
        Ok(false) => {
            // The reserved attempt stays counted as a failure.
            if let Some(account) = account {
                services.log(account.id, Event::PasswordRejected, address).await;
            }
            Err(AuthError::InvalidCredentials)
        }
        Err(e) => {
            // Undecided (hashing busy, database away): not a failure.
            if e.is_undecided() {
                throttle::give_back_password_attempt(&services.db, throttle_name, address, device_id).await;
            }
            Err(e)
        }
    }
}
