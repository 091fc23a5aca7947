//! What an administrator does to people. Every action is written to the person's security log
//! and to the admin log (naming the administrator), and takes effect at once: whatever this
//! process keeps of the person (`Identities`, live access tokens) is forgotten with the change.
//!
//! The service never ends up without an administrator: a change that would leave no enabled
//! member of `ADMIN_GROUP` (disabling, deleting or ungrouping the last one) is refused.

use super::admin::Admin;
use crate::{
    error::AuthError,
    input,
    services::Services,
    storage::{
        accounts::{self, ProfileChange, ProfileSaved},
        people::{self, Person},
        security_log::Event,
    },
};

/// The person named `username`, or `BadInput` (an admin's typo, not a secret).
pub async fn find(services: &Services, username: &str) -> Result<Person, AuthError> {
    people::find(&services.db, username)
        .await?
        .ok_or_else(|| AuthError::BadInput(format!("There is no account named {:?}.", username.trim())))
}

/// Refuses a change after which no enabled administrator would be left.
async fn keep_an_admin(services: &Services, person: &Person, stays_admin: bool) -> Result<(), AuthError> {
    let group = &services.settings.admin_group;
    let is_admin = !person.disabled && person.groups.iter().any(|g| g == group);
    if is_admin && !stays_admin && people::enabled_members(&services.db, group).await? <= 1 {
        return Err(AuthError::Conflict(format!(
            "{} is the last administrator: make another account a member of {group:?} first.",
            person.username
        )));
    }
    Ok(())
}

async fn done(services: &Services, admin: &Admin, person: &Person, event: Event, action: &str) {
    services.identities.forget(person.id);
    services.log(person.id, event, admin.client_address.as_deref()).await;
    admin.log(services, action, &person.username).await;
}

pub async fn disable(services: &Services, admin: &Admin, username: &str) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    keep_an_admin(services, &person, false).await?;
    people::disable(&services.db, &services.access_tokens, person.id, services.now()).await?;
    done(services, admin, &person, Event::DisabledByOperator, "person.disabled").await;
    Ok(person)
}

pub async fn enable(services: &Services, admin: &Admin, username: &str) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    people::enable(&services.db, person.id).await?;
    done(services, admin, &person, Event::EnabledByOperator, "person.enabled").await;
    Ok(person)
}

/// Turns two-factor authentication off (app, recovery codes) and ends the person's sessions: they
/// sign in with the password and set it up again.
pub async fn reset_two_factor(services: &Services, admin: &Admin, username: &str) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    accounts::disable_two_factor(&services.db, &services.access_tokens, person.id, None).await?;
    done(services, admin, &person, Event::TwoFactorResetByOperator, "person.two_factor_reset").await;
    Ok(person)
}

pub async fn end_all_sessions(services: &Services, admin: &Admin, username: &str) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    accounts::end_every_session(&services.db, &services.access_tokens, person.id).await?;
    done(services, admin, &person, Event::SessionsEndedByOperator, "person.sessions_ended").await;
    Ok(person)
}

/// Replaces the person's groups (`field`: comma-separated).
pub async fn set_groups(services: &Services, admin: &Admin, username: &str, field: &str) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    let groups = input::groups(field)?;
    keep_an_admin(services, &person, groups.contains(&services.settings.admin_group)).await?;
    accounts::set_groups(&services.db, person.id, &groups).await?;
    done(services, admin, &person, Event::GroupsChangedByOperator, "person.groups_changed").await;
    Ok(person)
}

/// Sets the display name and email; an address set here counts as verified (the administrator
/// vouches for it). An empty field clears it.
pub async fn set_profile(
    services: &Services,
    admin: &Admin,
    username: &str,
    display_name: Option<String>,
    email: Option<String>,
) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    let display_name = input::display_name(display_name)?;
    let email = input::email(email)?;
    let now = services.now();
    let change = ProfileChange {
        display_name: Some(display_name.as_deref()),
        email: Some((email.as_deref(), email.as_ref().map(|_| now))),
    };
    if accounts::change_profile(&services.db, person.id, &change).await? == ProfileSaved::EmailTaken {
        return Err(AuthError::EmailTaken);
    }
    done(services, admin, &person, Event::ProfileChangedByOperator, "person.profile_changed").await;
    Ok(person)
}

/// Deletes the account, once the administrator typed its username (`confirmation`, exactly).
pub async fn delete(
    services: &Services,
    admin: &Admin,
    username: &str,
    confirmation: &str,
) -> Result<Person, AuthError> {
    let person = find(services, username).await?;
    if confirmation.trim() != person.username {
        return Err(AuthError::BadInput(format!(
            "To delete the account, type its username ({}) exactly.",
            person.username
        )));
    }
    keep_an_admin(services, &person, false).await?;
    accounts::delete(&services.db, &services.access_tokens, person.id).await?;
    services.identities.forget(person.id);
    admin.log(services, "person.deleted", &person.username).await;
    Ok(person)
}

/// Creates an account with a password the administrator chose, in `groups`.
pub async fn create(
    services: &Services,
    admin: &Admin,
    username: Option<String>,
    password: Option<String>,
    groups: &str,
) -> Result<String, AuthError> {
    let name = input::new_username(username)?;
    let password = input::new_password(password)?;
    let groups = input::groups(groups)?;
    let hash = services.passwords.hash(password).await?;
    let id = accounts::create(&services.db, &name, &hash, services.now()).await?.ok_or(AuthError::UsernameTaken)?;
    accounts::set_groups(&services.db, id, &groups).await?;
    services.log(id, Event::Registered, admin.client_address.as_deref()).await;
    admin.log(services, "person.created", name.as_str()).await;
    Ok(name.as_str().to_owned())
}
