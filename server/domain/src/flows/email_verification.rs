//! Verified addresses: an address the person sets on their profile counts (apps are given it)
//! only once the link mailed to it is followed by the same account, signed in.
//!
//! Invariants:
//! - a link goes only to the address it verifies; it is valid for 30 minutes and used at most
//!   once, and a newer link (a new address, "Send the link again") voids the account's older ones;
//! - only the account the link was made for verifies with it, signed in (both factors where 2FA
//!   is on: a `SignedIn`); followed by another account it changes nothing and stays usable;
//! - it verifies the account's address only while the account still has the address it was sent
//!   to (compared without regard to case), in the one transaction that uses it;
//! - at most one account ever has a given address verified (`accounts::verify_email`);
//! - the mail carries no secret but its link.

use crate::{
    error::AuthError,
    mail::{messages, Requester},
    services::Services,
    storage::{
        accounts::{self, AddressVerified},
        email_links::{self, Lookup, Purpose},
        security_log::{self, Event},
    },
    visitor::SignedIn,
};
use sqlx::AnyConnection;
use std::time::Duration;

/// Verification links one account may have mailed in an hour (new addresses and "Send the link
/// again" together): each goes to an address nobody has vouched for, so this bounds the mail an
/// account can make the server send to strangers.
pub const LINKS_PER_HOUR: u32 = 3;

/// The path of a verification link under `PUBLIC_URL`.
pub const PATH_PREFIX: &str = "/verify-email/";

/// A verification link: `{PUBLIC_URL}/verify-email/{token}`.
pub fn link(public_url: &str, token: &str) -> String {
    format!("{public_url}{PATH_PREFIX}{token}")
}

/// Counts a link about to be mailed for the account: `Throttled` past `LINKS_PER_HOUR`. Called
/// before the transaction that mails it (the count is kept outside it).
pub(crate) async fn allow_link(services: &Services, account_id: i64) -> Result<(), AuthError> {
    let subject = format!("verify:{account_id}");
    if email_links::allow_reset_request(&services.db, &subject, LINKS_PER_HOUR, services.now()).await? {
        Ok(())
    } else {
        Err(AuthError::Throttled { retry_after: Duration::from_secs(60 * 60) })
    }
}

/// Makes a link for `address`, voiding the account's older ones, and queues the mail that carries
/// it: on the caller's connection, in the transaction that set the address.
pub(crate) async fn mail_link(
    conn: &mut AnyConnection,
    services: &Services,
    account_id: i64,
    username: &str,
    address: &str,
    requester: &Requester<'_>,
) -> Result<(), sqlx::Error> {
    let now = services.now();
    email_links::void_all(conn, account_id, Purpose::VerifyEmail, now).await?;
    let (token, hash) = email_links::new_token();
    email_links::create(conn, Purpose::VerifyEmail, &hash, account_id, address, now).await?;
    let link = link(&services.settings.public_url, &token);
    services.queue_mail(conn, &messages::verify_address(address, username, &link, now, requester)).await
}

/// "Send the link again": a new link for the account's address while it is not verified.
/// Returns the address it goes to.
pub async fn send_again(
    services: &Services,
    signed_in: &SignedIn,
    requester: Requester<'_>,
) -> Result<String, AuthError> {
    if services.settings.mail.is_none() {
        return Err(AuthError::BadInput(
            "This service sends no mail: ask the administrator to verify your address.".into(),
        ));
    }
    let account_id = signed_in.user_id;
    let profile = accounts::profile(&services.db, account_id).await?;
    let Some(address) = profile.email else {
        return Err(AuthError::BadInput("Add an email address to your profile first.".into()));
    };
    if profile.email_verified_at.is_some() {
        return Err(AuthError::BadInput("Your email address is verified already.".into()));
    }
    allow_link(services, account_id).await?;
    let mut tx = services.db.begin().await?;
    mail_link(&mut tx, services, account_id, &signed_in.identity.username, &address, &requester).await?;
    tx.commit().await?;
    services.mail_queued();
    Ok(address)
}

/// Follows a verification link as `signed_in`: the account's address is verified, and apps are
/// given it from their next request on.
pub async fn follow(
    services: &Services,
    signed_in: &SignedIn,
    client_address: Option<&str>,
    token: &str,
) -> Result<(), AuthError> {
    let now = services.now();
    let link = match email_links::find(&services.db, Purpose::VerifyEmail, token, now).await? {
        Lookup::Open(link) => link,
        Lookup::Spent | Lookup::Unknown => return Err(AuthError::EmailLinkGone),
    };
    // Before the link is used: it stays open for the account it was made for.
    if link.user_id != signed_in.user_id {
        return Err(AuthError::EmailLinkOfAnotherAccount);
    }
    let account_id = signed_in.user_id;
    let mut tx = services.db.begin().await?;
    // The first statement writes, so SQLite takes the write lock at once.
    if !email_links::use_link(&mut tx, &link.token_hash, now).await? {
        tx.rollback().await?;
        return Err(AuthError::EmailLinkGone);
    }
    match accounts::verify_email(&mut tx, account_id, &link.email, now).await? {
        AddressVerified::Verified => {}
        AddressVerified::AddressChanged => {
            tx.rollback().await?;
            return Err(AuthError::EmailLinkGone);
        }
        AddressVerified::Taken => {
            tx.rollback().await?;
            return Err(AuthError::EmailTaken);
        }
    }
    security_log::insert(&mut tx, account_id, Event::EmailVerified, None, client_address, now).await?;
    tx.commit().await?;
    // The gate, the apps' claims and the kept account page read the address from the identity.
    services.identities.forget(account_id);
    Ok(())
}
