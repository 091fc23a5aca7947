//! A forgotten password, reset with a link mailed to the account's verified address — never a
//! way around the second factor.
//!
//! - `request`: "Username or email". The link goes to the verified address of the account the
//!   words name (its username, or its verified address without regard to case), unless the
//!   account is disabled or a limit is reached (`RESET_LIMIT` an hour, per account and per client
//!   address).
//! - `open`: what the page of a link shows (read only: showing the page does not use the link).
//! - `complete`: the new password, and the second factor where 2FA is on.
//!
//! Invariants:
//! - A request is answered the same — `Ok`, the same words — whatever was typed and whatever
//!   came of it (sent, no such account, no verified address, disabled, limited), and in the same
//!   time: the work is done before the answer (the link and its mail are committed when the
//!   answer leaves), then the answer waits until `ANSWER_FLOOR` after the request arrived. The
//!   stated bound: the time does not depend on the account as long as the work (a lookup, the
//!   limit counts, one short transaction: a few milliseconds on a healthy database) stays under
//!   the floor; a database slower than that shows through.
//! - Mail alone changes nothing on an account with 2FA: the reset needs a code (or a recovery
//!   code) checked by `second_factor`, under its throttle and single use, before anything is
//!   written; a wrong one leaves the link usable.
//! - A link is used at most once, in the transaction that sets the password (`use_link`): of two
//!   uses at the same moment exactly one sets its password, and the other changes nothing. A
//!   newer link voids the older ones, and a reset voids them all.
//! - A link works only while the address it went to is still the account's verified address, and
//!   never for a disabled account.
//! - A reset signs nobody in: every session of the account ends (this browser's too), the tokens
//!   apps hold are revoked, the remembered devices are forgotten; the second factor stays as it
//!   was. The owner is told by mail ("Your password was changed").
//! - With mail off (`Settings::mail` is `None`) the feature does not exist: `NotFound`.

use super::{
    second_factor::{self, Proof},
    session::SessionData,
};
use crate::{
    error::AuthError,
    input,
    mail::messages,
    services::Services,
    storage::{
        accounts::{self, Account},
        email_links::{self, Link, Lookup, Purpose},
        security_log::Event,
        throttle,
    },
};
use std::time::Duration;

/// No answer to a request leaves sooner than this after it arrived (see the invariants).
pub const ANSWER_FLOOR: Duration = Duration::from_millis(400);

/// Where a reset link leads: `{PUBLIC_URL}/reset-password/{token}` (the app's page of the same
/// path).
pub const LINK_PATH: &str = "/reset-password/";

/// What the page of an open link needs: whether 2FA is on, and which second factors it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLink {
    pub two_factor: bool,
    /// An authenticator app: the code field.
    pub app: bool,
    /// How many digits the app's codes have.
    pub digits: usize,
    /// Security keys (a recovery code is the way with one on this page).
    pub security_keys: bool,
}

/// What became of a request: for the log only, never for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    NoAccount,
    NoVerifiedAddress,
    Disabled,
    Limited,
}

/// The feature exists only with mail on.
pub fn available(services: &Services) -> Result<(), AuthError> {
    match services.settings.mail {
        Some(_) => Ok(()),
        None => Err(AuthError::NotFound),
    }
}

/// "Forgot your password?": mails a link to the account `login` names, if it is due one. The
/// same `Ok`, no sooner than `ANSWER_FLOOR`, whatever came of it; only an empty or impossible
/// field (a 400 that depends on the words alone) or a failing database differ.
#[tracing::instrument(skip_all)]
pub async fn request(services: &Services, session: &impl SessionData, login: Option<String>) -> Result<(), AuthError> {
    available(services)?;
    let login = input::username_or_email(login)?;
    let deadline = tokio::time::Instant::now() + ANSWER_FLOOR;
    let outcome = mail_link_if_due(services, session, &login).await;
    if let Ok(outcome) = outcome {
        tracing::debug!(?outcome, "password reset request");
    }
    tokio::time::sleep_until(deadline).await;
    outcome.map(drop)
}

/// The per-address subject of the request limit (IPv6 by its /64, as the password throttle).
fn address_subject(address: &str) -> String {
    let key = throttle::address_key(address);
    format!("address:{}", key.strip_prefix("addr:").unwrap_or(&key))
}

async fn mail_link_if_due(services: &Services, session: &impl SessionData, login: &str) -> Result<Outcome, AuthError> {
    let (db, now, per_hour) = (&services.db, services.now(), services.settings.reset_requests_per_hour);
    if let Some(address) = session.client_address() {
        if !email_links::allow_reset_request(db, &address_subject(address), per_hour, now).await? {
            return Ok(Outcome::Limited);
        }
    }
    // Words that cannot be a username are looked up as an address only (no key is empty).
    let username_key = input::new_username(Some(login.to_owned())).map(|name| name.key()).unwrap_or_default();
    let Some(account) = accounts::find_for_reset(db, &username_key, login).await? else {
        return Ok(Outcome::NoAccount);
    };
    if account.disabled {
        return Ok(Outcome::Disabled);
    }
    let Some(email) = account.verified_email else { return Ok(Outcome::NoVerifiedAddress) };
    if !email_links::allow_reset_request(db, &format!("account:{}", account.id), per_hour, now).await? {
        return Ok(Outcome::Limited);
    }
    let (token, token_hash) = email_links::new_token();
    let link = format!("{}{LINK_PATH}{token}", services.settings.public_url);
    let message = messages::password_reset(&email, &account.username, &link, now, &session.requester());
    let mut tx = db.begin().await?;
    email_links::void_all(&mut tx, account.id, Purpose::ResetPassword, now).await?;
    email_links::create(&mut tx, Purpose::ResetPassword, &token_hash, account.id, &email, now).await?;
    services.queue_mail(&mut tx, &message).await?;
    tx.commit().await?;
    services.mail_queued();
    Ok(Outcome::Sent)
}

/// What the page of the link `token` shows; `ResetLinkGone` when it cannot be used. Changes
/// nothing.
pub async fn open(services: &Services, token: &str) -> Result<OpenLink, AuthError> {
    available(services)?;
    let (_, account) = open_link(services, token).await?;
    Ok(OpenLink {
        two_factor: account.two_factor_on(),
        app: account.otp_secret.is_some(),
        digits: account.otp.digits,
        security_keys: account.security_keys > 0,
    })
}

/// The open link `token` and its account: the same `ResetLinkGone` for a link used, voided,
/// expired or unknown, for an account gone or disabled, and for an address that is no longer
/// the account's verified one.
async fn open_link(services: &Services, token: &str) -> Result<(Link, Account), AuthError> {
    let lookup = email_links::find(&services.db, Purpose::ResetPassword, token, services.now()).await?;
    let Lookup::Open(link) = lookup else { return Err(AuthError::ResetLinkGone) };
    let account = accounts::find_by_id(&services.db, &services.secret_box, link.user_id)
        .await?
        .ok_or(AuthError::ResetLinkGone)?;
    let current = {
        let mut conn = services.db.acquire().await?;
        accounts::verified_address(&mut conn, account.id).await?
    };
    let still_theirs = current.is_some_and(|(_, email)| email.eq_ignore_ascii_case(&link.email));
    if account.disabled || !still_theirs {
        return Err(AuthError::ResetLinkGone);
    }
    Ok((link, account))
}

/// The second factor offered on the reset form: `recovery_code` when filled in, else `otp` (a
/// code, or a recovery code typed there).
fn offered_proof(otp: Option<String>, recovery_code: Option<String>) -> Result<Proof, AuthError> {
    match recovery_code.filter(|code| !code.trim().is_empty()) {
        Some(code) => Ok(Proof::RecoveryCode(code)),
        None => second_factor::code_or_recovery_code(otp),
    }
}

/// Sets the new password through the link `token`. With 2FA on, `otp` (or `recovery_code`) must
/// be right first. The visitor is not signed in: every session of the account ends.
#[tracing::instrument(skip_all)]
pub async fn complete(
    services: &Services,
    session: &impl SessionData,
    token: Option<String>,
    new_password: Option<String>,
    otp: Option<String>,
    recovery_code: Option<String>,
) -> Result<(), AuthError> {
    available(services)?;
    let (link, account) = open_link(services, &token.unwrap_or_default()).await?;
    let password = input::new_password(new_password)?;
    if account.two_factor_on() {
        let proof = offered_proof(otp, recovery_code)?;
        second_factor::verify(services, &account, &proof, session.client_address()).await?;
    }
    let password_hash = services.passwords.hash(password).await?;
    let now = services.now();
    let mut tx = services.db.begin().await?;
    if !email_links::use_link(&mut tx, &link.token_hash, now).await? {
        // Used (or expired) since it was opened above: the other use is the one that counts.
        tx.rollback().await?;
        return Err(AuthError::ResetLinkGone);
    }
    email_links::void_all(&mut tx, account.id, Purpose::ResetPassword, now).await?;
    accounts::set_password_after_reset(&mut tx, account.id, &account.username, &password_hash).await?;
    tx.commit().await?;
    services.access_tokens.forget_account(account.id);
    services.identities.forget(account.id);
    // Logged, and the owner told by mail (in one transaction of its own).
    services.log_by(account.id, Event::PasswordReset, None, session.requester()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filled_in_recovery_code_is_the_proof_and_otherwise_the_code_field_is() {
        assert!(matches!(offered_proof(Some("123456".into()), None), Ok(Proof::Code(c)) if c == "123456"));
        assert!(matches!(offered_proof(Some("123456".into()), Some(" ".into())), Ok(Proof::Code(_))));
        assert!(
            matches!(offered_proof(None, Some("AB3DE-FG7HJ".into())), Ok(Proof::RecoveryCode(c)) if c == "AB3DE-FG7HJ")
        );
        assert!(matches!(offered_proof(Some("ab3de-fg7hj".into()), None), Ok(Proof::RecoveryCode(_))));
        assert!(matches!(offered_proof(None, None), Err(AuthError::BadInput(_))));
    }

    #[test]
    fn addresses_are_limited_as_the_password_throttle_counts_them() {
        assert_eq!(address_subject("192.0.2.7"), "address:192.0.2.7");
        assert_eq!(address_subject("2001:db8:1:2:aaaa::1"), address_subject("2001:db8:1:2:bbbb::2"));
    }
}
