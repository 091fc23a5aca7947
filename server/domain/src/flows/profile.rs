//! The person's profile: an optional display name and email, which apps are told (`Remote-Name`,
//! `Remote-Email`, the OpenID Connect `name` and `email` claims). An address the person sets is
//! unverified, and apps are not given it; only an address the operator sets counts as verified.
//! Changing the address needs a recent sign-in: it is what apps may identify the person by.

use super::session::SessionData;
use crate::{
    error::AuthError,
    input,
    services::Services,
    storage::accounts::{self, ProfileChange, ProfileSaved},
    visitor::Visitor,
};

/// Saves the signed-in person's display name and email (empty: none). A changed address is
/// unverified, and needs a recent sign-in; the display name alone does not.
pub async fn save(
    services: &Services,
    session: &impl SessionData,
    display_name: Option<String>,
    email: Option<String>,
) -> Result<(), AuthError> {
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
    let change = ProfileChange {
        display_name: Some(display_name.as_deref()),
        email: email_changes.then_some((email.as_deref(), None)),
    };
    let saved = accounts::change_profile(&services.db, account_id, &change).await?;
    // The gate, the apps' claims and the kept account page read the profile from the cached
    // identity.
    services.identities.forget(account_id);
    match saved {
        ProfileSaved::Saved => Ok(()),
        ProfileSaved::EmailTaken => Err(AuthError::EmailTaken),
    }
}
