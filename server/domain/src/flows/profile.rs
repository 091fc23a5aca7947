//! The person's profile: an optional display name and email, which apps are told (`Remote-Name`,
//! `Remote-Email`, the OpenID Connect `name` and `email` claims). An address the person sets is
//! unverified, and apps are not given it until it is verified: by the link mailed to it
//! (`email_verification`) where mail is on, by the operator setting it otherwise.
//! Changing the address needs a recent sign-in: it is what apps may identify the person by.

use super::{email_verification, session::SessionData};
use crate::{
    error::AuthError,
    input,
    mail::messages,
    services::Services,
    storage::{
        accounts::{self, ProfileChange, ProfileSaved},
        email_links::{self, Purpose},
        security_log::{self, Event},
    },
    visitor::Visitor,
};

/// What a saved profile caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The new address a verification link was mailed to.
    pub link_sent_to: Option<String>,
}

/// Saves the signed-in person's display name and email (empty: none). A changed address is
/// unverified, and needs a recent sign-in; the display name alone does not.
///
/// With mail on, a changed address gets its verification link and an old verified address is
/// told of the change, in the transaction that saves it: the address, the void of older links,
/// the new link, the mail and the security event are written together or not at all.
pub async fn save(
    services: &Services,
    session: &impl SessionData,
    display_name: Option<String>,
    email: Option<String>,
) -> Result<Saved, AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let signed_in = visitor.signed_in()?;
    let display_name = input::display_name(display_name)?;
    let email = input::email(email)?;
    let account_id = signed_in.user_id;
    let current = accounts::profile(&services.db, account_id).await?;
    let email_changes = email != current.email;
    if email_changes && !signed_in.is_recent(services) {
        return Err(AuthError::ReauthenticationRequired);
    }
    let mail_on = services.settings.mail.is_some();
    let link_to = email.as_deref().filter(|_| email_changes && mail_on);
    if link_to.is_some() {
        email_verification::allow_link(services, account_id).await?;
    }
    // The old address hears of the change when it was the account's verified address and the
    // new one is another mailbox (a change of case alone is the same one, which gets the link).
    let tell_old = match (&current.email, current.email_verified_at) {
        (Some(old), Some(_)) if mail_on && email_changes => {
            (!email.as_deref().is_some_and(|new| new.eq_ignore_ascii_case(old))).then_some(old.as_str())
        }
        _ => None,
    };
    let change = ProfileChange {
        display_name: Some(display_name.as_deref()),
        email: email_changes.then_some((email.as_deref(), None)),
    };
    let now = services.now();
    let requester = session.requester();
    let username = &signed_in.identity.username;
    let mut tx = services.db.begin().await?;
    if accounts::change_profile_on(&mut tx, account_id, &change).await? == ProfileSaved::EmailTaken {
        tx.rollback().await?;
        return Err(AuthError::EmailTaken);
    }
    if email_changes {
        // A link sent for the address being replaced verifies nothing from now on.
        email_links::void_all(&mut tx, account_id, Purpose::VerifyEmail, now).await?;
        if let Some(address) = link_to {
            email_verification::mail_link(&mut tx, services, account_id, username, address, &requester).await?;
        }
        if let Some(old) = tell_old {
            let notice = messages::email_changed(old, username, now, &requester, &services.settings.public_url);
            services.queue_mail(&mut tx, &notice).await?;
        }
        security_log::insert(&mut tx, account_id, Event::EmailChanged, None, requester.address, now).await?;
    }
    tx.commit().await?;
    if link_to.is_some() || tell_old.is_some() {
        services.mail_queued();
    }
    // The gate, the apps' claims and the kept account page read the profile from the cached
    // identity.
    services.identities.forget(account_id);
    Ok(Saved { link_sent_to: link_to.map(str::to_owned) })
}
