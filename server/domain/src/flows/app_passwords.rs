//! App passwords (`docs/contract/forward-auth.md#app-passwords`): made on `/account/apps` with
//! a recent sign-in, shown once, listed and revoked there; checked by the forward-auth gate on
//! rules with `app_passwords = true`.
//!
//! Revocation: "Revoke" deletes the row; changing the password (a reset), turning 2FA off or an
//! operator's reset of it, and disabling the account delete every app password of the account
//! in the statements that make those changes (`storage::app_passwords::DELETE_ACCOUNT`). They
//! are not tied to the session epoch: ending one's other sessions, new recovery codes or a new
//! security key leave them working, as the scripts that hold them are no sessions. A revoked one
//! is refused at once, on every instance: read from the database on every request with
//! PostgreSQL, kept in memory with SQLite only while its owner's session epoch is the one it was
//! read with (`storage::kept_app_passwords`; each change above raises the epoch).
//!
//! The check: a keyed SHA-256 of the presented secret compared in constant time (no Argon2);
//! wrong ones count as wrong passwords (per username where one is known, and per client
//! address), and a request whose username or address is throttled is refused before the check.
//! The check reads the throttle without writing: concurrent guesses may all be checked before
//! the first failure is written, which 160 random bits make harmless.

use super::session::SessionData;
use crate::{
    credentials::{
        app_passwords::{self, Presented},
        device_token::username_key,
    },
    error::AuthError,
    services::Services,
    storage::{
        app_passwords as store, identities::Identity, kept_app_passwords::KeptRow, security_log::Event, throttle,
    },
    visitor::{Factors, SignedIn, Visitor},
};
use std::sync::Arc;

pub use store::Listed;

/// The longest name, in characters.
pub const NAME_MAX: usize = 64;
/// The longest validity, in days (ten years).
pub const DAYS_MAX: i64 = 3650;
/// The most hosts one app password may be limited to.
pub const HOSTS_MAX: usize = 20;

/// A new app password: its id, and the secret, shown once.
pub struct Created {
    pub id: i64,
    pub secret: String,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Created {{ id: {}, .. }}", self.id)
    }
}

/// Makes an app password for the signed-in account. Needs a recent sign-in (a sensitive change).
/// `name`: 1 to 64 characters; `days`: how long it is valid (empty: no expiry); `hosts`: the
/// hosts it may be used on, separated by commas or spaces (empty: any).
pub async fn create(
    services: &Services,
    session: &impl SessionData,
    name: Option<String>,
    days: Option<String>,
    hosts: Option<String>,
) -> Result<Created, AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let account = visitor.recent_account(services).await?;
    if visitor.signed_in()?.owes_second_factor() {
        return Err(AuthError::NotSignedIn);
    }
    let name = valid_name(name)?;
    let days = valid_days(days)?;
    let hosts = valid_hosts(hosts)?;
    let now = services.now();
    let new = app_passwords::generate(&services.recovery_codes);
    let id = store::insert(
        &services.db,
        store::New {
            user_id: account.id,
            name: &name,
            lookup: &new.lookup,
            hash: &new.hash,
            hosts: &hosts,
            created_at: now,
            expires_at: days.map(|days| now + days * 24 * 60 * 60),
        },
    )
    .await?
    .ok_or_else(|| {
        AuthError::BadInput(format!(
            "An account holds at most {} app passwords: revoke one you no longer use first.",
            store::AT_MOST
        ))
    })?;
    // A kept row under the same lookup (another app password's) is one of several now.
    services.app_passwords.forget(&new.lookup);
    services.log_key(account.id, Event::AppPasswordCreated, &name, session.client_address()).await;
    Ok(Created { id, secret: new.secret })
}

/// The signed-in account's app passwords (never their secrets).
pub async fn your_app_passwords(services: &Services, session: &impl SessionData) -> Result<Vec<Listed>, AuthError> {
    let visitor = Visitor::of(services, session).await?;
    Ok(store::list(&services.db, visitor.signed_in()?.user_id).await?)
}

/// Revokes one of the signed-in account's app passwords, at once. Asks no recent sign-in: it
/// only takes access away. Another account's, or one revoked already: `NoSuchAppPassword`.
pub async fn revoke(services: &Services, session: &impl SessionData, id: Option<String>) -> Result<(), AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let user_id = visitor.signed_in()?.user_id;
    let id: i64 = id.as_deref().map(str::trim).and_then(|id| id.parse().ok()).ok_or(AuthError::NoSuchAppPassword)?;
    let (lookup, name) = store::revoke(&services.db, user_id, id).await?.ok_or(AuthError::NoSuchAppPassword)?;
    services.app_passwords.forget(&lookup);
    services.log_key(user_id, Event::AppPasswordRevoked, &name, session.client_address()).await;
    Ok(())
}

/// What the gate makes of a presented app password.
#[derive(Debug)]
pub enum Checked {
    /// Right, live, for this host: the visitor it stands for, at one factor.
    Accepted(Visitor),
    /// Wrong, expired, for another host, or its account disabled: as if absent.
    NotAccepted,
}

/// Checks an app password the gate was given for a target on `host`, from `address` (the client
/// address, for the throttle and the last use). `Err(Throttled)`: refused unchecked.
#[tracing::instrument(skip_all)]
pub async fn check(
    services: &Services,
    presented: &Presented,
    host: &str,
    address: Option<&str>,
) -> Result<Checked, AuthError> {
    let now = services.now();
    let typed_username = match presented {
        Presented::Basic { username, .. } => Some(username.as_str()),
        Presented::Bearer { .. } => None,
    };
    not_throttled(services, typed_username, address, now).await?;
    let secret = presented.secret();
    let Some(lookup) = app_passwords::lookup(secret) else { return Ok(Checked::NotAccepted) };
    let Some((row, identity)) = right_one(services, lookup, secret).await? else {
        failed(services, typed_username, address, now).await?;
        return Ok(Checked::NotAccepted);
    };
    if typed_username.is_some_and(|typed| username_key(typed) != username_key(&identity.username)) {
        // Someone else's app password, under this username: a wrong password for it.
        failed(services, typed_username, address, now).await?;
        return Ok(Checked::NotAccepted);
    }
    let live = row.row.expires_at.is_none_or(|expires_at| now < expires_at);
    let host_allowed = row.row.hosts.is_empty() || row.row.hosts.iter().any(|allowed| host_matches(allowed, host));
    let owes_second_factor = identity.two_factor_required && !identity.two_factor;
    let account_usable = !identity.disabled && !owes_second_factor;
    if !(live && host_allowed && account_usable) {
        return Ok(Checked::NotAccepted);
    }
    if row.use_to_record(now, store::LAST_USE_EVERY) {
        if let Err(e) = store::used(&services.db, row.row.id, now, address).await {
            tracing::warn!(error = %e, "could not record an app password's last use");
        }
    }
    Ok(Checked::Accepted(Visitor::SignedIn(SignedIn {
        user_id: row.row.user_id,
        identity,
        // No sign-in: never recent (rules that allow app passwords demand no `max_age`).
        authenticated_at: 0,
        factors: Factors::Password,
    })))
}

/// `Err(Throttled)` when the username (if any) or the address is held back. On SQLite, keys
/// found clear are kept until a password failure is written (`storage::kept_app_passwords`).
async fn not_throttled(
    services: &Services,
    username: Option<&str>,
    address: Option<&str>,
    now: i64,
) -> Result<(), AuthError> {
    let key = format!("{}\n{}", username.map(username_key).unwrap_or_default(), address.unwrap_or_default());
    let kept = &services.app_passwords;
    if kept.known_clear(&key) {
        return Ok(());
    }
    let failures = kept.failures_written();
    throttle::password_wait(&services.db, username, address, now).await?;
    kept.found_clear(key, failures);
    Ok(())
}

/// A wrong app password: counted as a wrong password.
async fn failed(services: &Services, username: Option<&str>, address: Option<&str>, now: i64) -> Result<(), AuthError> {
    let counted = throttle::password_failed(&services.db, username, address, now).await;
    services.app_passwords.failure_written();
    counted
}

/// The app password whose secret is `secret`, and its owner, while the owner is at the epoch the
/// row was read with (kept in memory on SQLite: `storage::kept_app_passwords`).
async fn right_one(
    services: &Services,
    lookup: &str,
    secret: &str,
) -> Result<Option<(Arc<KeptRow>, Arc<Identity>)>, AuthError> {
    let kept = &services.app_passwords;
    if let Some(row) = kept.row(lookup) {
        let identity = services.identities.get(&services.db, row.row.user_id).await?;
        match identity {
            Some(identity) if identity.session_epoch == row.epoch => {
                return Ok(
                    app_passwords::matches(&services.recovery_codes, secret, &row.row.hash).then_some((row, identity))
                );
            }
            _ => kept.forget(lookup),
        }
    }
    let rows = store::find(&services.db, lookup).await?;
    let single = rows.len() == 1;
    let Some((row, epoch)) =
        rows.into_iter().find(|(row, _)| app_passwords::matches(&services.recovery_codes, secret, &row.hash))
    else {
        return Ok(None);
    };
    let Some(identity) = services.identities.get(&services.db, row.user_id).await? else { return Ok(None) };
    // The row and its owner's epoch were read in one statement: it was live then. It is kept
    // only when the identity is at that epoch too (one kept from before a change is not yet).
    let row = Arc::new(KeptRow::new(row, epoch));
    if single && identity.session_epoch == epoch {
        kept.keep(lookup, row.clone());
    }
    Ok(Some((row, identity)))
}

/// Whether `host` (lower case, no port) is `allowed`: the same host, or under `*.parent`.
fn host_matches(allowed: &str, host: &str) -> bool {
    match allowed.strip_prefix("*.") {
        Some(parent) => host.strip_suffix(parent).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => allowed == host,
    }
}

fn valid_name(name: Option<String>) -> Result<String, AuthError> {
    let name = name.unwrap_or_default().trim().to_owned();
    let length = name.chars().count();
    if length == 0 || length > NAME_MAX || name.chars().any(char::is_control) {
        return Err(AuthError::BadInput(format!("Give the app password a name of 1 to {NAME_MAX} characters.")));
    }
    Ok(name)
}

fn valid_days(days: Option<String>) -> Result<Option<i64>, AuthError> {
    let days = days.unwrap_or_default();
    let days = days.trim();
    if days.is_empty() {
        return Ok(None);
    }
    match days.parse::<i64>() {
        Ok(days) if (1..=DAYS_MAX).contains(&days) => Ok(Some(days)),
        _ => Err(AuthError::BadInput(format!(
            "\"Valid for (days)\" is a whole number from 1 to {DAYS_MAX}, or empty for no expiry."
        ))),
    }
}

fn valid_hosts(hosts: Option<String>) -> Result<Vec<String>, AuthError> {
    let hosts = hosts.unwrap_or_default();
    let mut valid: Vec<String> = Vec::new();
    for host in hosts.split([',', ' ', '\n', '\r', '\t']).filter(|h| !h.is_empty()) {
        let host = host.to_ascii_lowercase();
        let name = host.strip_prefix("*.").unwrap_or(&host);
        let labels_ok = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !labels_ok {
            return Err(AuthError::BadInput(format!(
                "{host:?} is not a host name: write hosts such as app.example.com or *.example.com, separated by commas."
            )));
        }
        if !valid.contains(&host) {
            valid.push(host);
        }
    }
    if valid.len() > HOSTS_MAX {
        return Err(AuthError::BadInput(format!("An app password may name at most {HOSTS_MAX} hosts.")));
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_lower_case_and_checked() {
        assert_eq!(
            valid_hosts(Some("App.Example.com, *.ops.example.com".into())).unwrap(),
            ["app.example.com", "*.ops.example.com"]
        );
        assert!(valid_hosts(Some("".into())).unwrap().is_empty());
        assert!(valid_hosts(Some("https://app.example.com/".into())).is_err());
        assert!(valid_hosts(Some("a..b".into())).is_err());
    }

    #[test]
    fn a_wildcard_host_covers_subdomains_only() {
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "badexample.com"));
        assert!(host_matches("app.example.com", "app.example.com"));
        assert!(!host_matches("app.example.com", "app.example.org"));
    }

    #[test]
    fn names_and_days_are_checked() {
        assert!(valid_name(Some(" ".into())).is_err());
        assert!(valid_name(Some("x".repeat(65))).is_err());
        assert_eq!(valid_name(Some(" Phone ".into())).unwrap(), "Phone");
        assert_eq!(valid_days(Some("".into())).unwrap(), None);
        assert_eq!(valid_days(Some("30".into())).unwrap(), Some(30));
        assert!(valid_days(Some("0".into())).is_err());
        assert!(valid_days(Some("x".into())).is_err());
    }
}
