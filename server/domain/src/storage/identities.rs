//! Who a signed-in session belongs to: the account's name, whether 2FA is on, its session epoch
//! (a session from an older epoch was ended from elsewhere), and what apps are told about it (its
//! profile, its email and whether that is verified, its groups). Every signed-in request checks
//! this, so with SQLite, where one server process owns the database, the answer is kept in
//! memory: this process forgets it the moment it changes any of these (`forget`), and
//! everything the moment an operator command run beside the server changed the database
//! (`outside_changes`). With PostgreSQL (several instances) it is read from the database every
//! time.

use super::outside_changes::OutsideChanges;
use moka::sync::Cache;
use sqlx::{AnyPool, Row};
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

/// How long a kept identity lives: the bound on staleness should the outside-changes file be
/// unusable (an operator command that could not write it says so).
const TTL: Duration = Duration::from_secs(1);
const CAPACITY: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub two_factor: bool,
    pub session_epoch: i64,
    /// What the forward-auth gate tells the apps behind it.
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Whether `email` is verified: only a verified address is passed to apps.
    pub email_verified: bool,
    pub groups: Vec<String>,
    /// The OpenID Connect `sub`, once the account has signed in to an app (`openid::tokens`).
    pub oidc_subject: Option<String>,
    /// Disabled by an operator: no session of it counts (disabling also raises the epoch; this
    /// holds even for a session that raced the change).
    pub disabled: bool,
    /// Its invitation requires two-factor authentication: until it is on, the pages lead to its
    /// setup.
    pub two_factor_required: bool,
}

impl Identity {
    /// The address apps may be given: the account's email once it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

#[derive(Clone)]
pub struct Identities {
    cache: Option<Cache<i64, Arc<Identity>>>,
    /// Raised by every `forget`: a read that started before a forget may have read the old
    /// row, so what it put in the cache is taken out again. The cache never keeps what a change
    /// made stale.
    forgets: Arc<AtomicU64>,
    /// A number per account, raised after every change to what its pages show (`changed`): a
    /// page kept for an account is valid only while the number it was made under is current.
    /// `None` with PostgreSQL, where other instances change accounts unseen.
    versions: Option<Arc<Mutex<HashMap<i64, u64>>>>,
    /// Operator commands run beside the server (SQLite), and how many this cache has caught up
    /// with: each one outdates every kept identity and page.
    outside: Option<(Arc<OutsideChanges>, Arc<AtomicU64>)>,
}

impl Identities {
    /// For a database this process alone writes to, but for the operator's commands (SQLite).
    pub fn cached(outside: Arc<OutsideChanges>) -> Self {
        Self {
            cache: Some(Cache::builder().max_capacity(CAPACITY).time_to_live(TTL).build()),
            forgets: Arc::default(),
            versions: Some(Arc::default()),
            outside: Some((outside, Arc::default())),
        }
    }

    /// For a database other instances write to as well (PostgreSQL).
    pub fn uncached() -> Self {
        Self { cache: None, forgets: Arc::default(), versions: None, outside: None }
    }

    /// Catches up with the operator commands run since the last look: after one, every kept
    /// identity is forgotten and every kept page outdated. Returns how many there have been
    /// (what else is kept in memory, the live access tokens, catches up with the same number).
    pub fn catch_up(&self) -> u64 {
        let Some((outside, caught_up)) = &self.outside else { return 0 };
        let seen = outside.seen();
        if caught_up.swap(seen, Ordering::AcqRel) != seen {
            self.forgets.fetch_add(1, Ordering::AcqRel);
            if let Some(cache) = &self.cache {
                cache.invalidate_all();
            }
        }
        seen
    }

    /// Whether this process alone writes the database (SQLite), so what it keeps in memory is
    /// only ever made stale by itself (or, for at most a second, by an operator command).
    pub fn in_memory(&self) -> bool {
        self.cache.is_some()
    }

    pub async fn get(&self, db: &AnyPool, user_id: i64) -> Result<Option<Arc<Identity>>, sqlx::Error> {
        self.catch_up();
        if let Some(known) = self.cache.as_ref().and_then(|c| c.get(&user_id)) {
            return Ok(Some(known));
        }
        let forgets_before = self.forgets.load(Ordering::Acquire);
        let row = sqlx::query(&format!(
            "SELECT username, {} AS two_factor, session_epoch, display_name, email, email_verified_at, groups, oidc_subject, disabled_at, two_factor_required
             FROM users WHERE id = $1",
            crate::storage::accounts::TWO_FACTOR_SQL
        ))
        .bind(user_id)
        .fetch_optional(db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let identity = Arc::new(Identity {
            username: row.try_get("username")?,
            two_factor: crate::storage::accounts::bool_column(&row, "two_factor")?,
            session_epoch: row.try_get("session_epoch")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            email_verified: row.try_get::<Option<i64>, _>("email_verified_at")?.is_some(),
            groups: crate::storage::accounts::groups_of(&row.try_get::<String, _>("groups")?),
            oidc_subject: row.try_get("oidc_subject")?,
            disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            two_factor_required: crate::storage::accounts::bool_column(&row, "two_factor_required")?,
        });
        if let Some(cache) = &self.cache {
            cache.insert(user_id, identity.clone());
            if self.forgets.load(Ordering::Acquire) != forgets_before {
                cache.invalidate(&user_id);
            }
        }
        Ok(Some(identity))
    }

    /// Call after changing anything an `Identity` holds (the 2FA state, the session epoch, the
    /// profile).
    pub fn forget(&self, user_id: i64) {
        if let Some(cache) = &self.cache {
            self.forgets.fetch_add(1, Ordering::AcqRel);
            cache.invalidate(&user_id);
        }
        self.changed(user_id);
    }

    /// Call after any change to what the account's pages show (a new security event, say),
    /// once the change is written.
    pub fn changed(&self, user_id: i64) {
        if let Some(versions) = &self.versions {
            if let Ok(mut versions) = versions.lock() {
                *versions.entry(user_id).or_insert(0) += 1;
            }
        }
    }

    /// The account's current version (see `changed`); `None` when this process cannot know of
    /// every change (PostgreSQL).
    pub fn version(&self, user_id: i64) -> Option<u64> {
        // An operator command may have changed any account: it moves every version.
        let outside = self.catch_up() << 32;
        let versions = self.versions.as_ref()?.lock().ok()?;
        Some(outside + versions.get(&user_id).copied().unwrap_or(0))
    }
}
