//! What every flow is given: the database, the keys, the settings, the clock — and every copy
//! the domain keeps in memory, with the workers it runs (the password hashing threads, the
//! exchange writer) and the WebAuthn relying party. Built once at start-up by `Services::new`
//! (or by a test, with a manual clock); nothing of the domain lives in a process-wide static.
//! `docs/caches.md` lists each copy: what it holds, its key, what invalidates it, how stale it
//! may be.

use crate::{
    clock::Clock,
    credentials::{
        passwords::PasswordHasher, recovery_codes::RecoveryCodeKey, secret_box::SecretBox, security_key::RelyingParty,
    },
    error::AuthError,
    openid::store::{
        access_cache::AccessCache, clients::KeptClients, exchange_writer::ExchangeWriter, opened_keys::OpenedKeys,
    },
    settings::Settings,
    storage::{
        identities::Identities,
        security_log::{self, Event},
    },
};
use sqlx::AnyPool;

pub struct Services {
    pub db: AnyPool,
    /// Encrypts TOTP keys (and the other secrets kept for a while) before they reach the database.
    pub secret_box: SecretBox,
    /// Hashes recovery codes (derived from the key of `secret_box`: `credentials::recovery_codes`).
    pub recovery_codes: RecoveryCodeKey,
    /// Seals OpenID Connect authorization codes (its key is in the database: `openid::codes`).
    pub code_sealing: SecretBox,
    pub settings: Settings,
    pub clock: Clock,
    /// Who each signed-in session belongs to (see `storage::identities`).
    pub identities: Identities,
    /// The OpenID Connect clients token requests have named (see `openid::store::clients`).
    pub clients: KeptClients,
    /// Live access tokens, for userinfo (SQLite only; see `openid::store::access_cache`).
    pub access_tokens: AccessCache,
    /// The signing keys, opened once each (see `openid::store::opened_keys`).
    pub signing_keys: OpenedKeys,
    /// On SQLite, the one task that writes code exchanges (see `openid::store::exchange_writer`).
    pub exchange_writer: Option<ExchangeWriter>,
    /// The password hashing threads (see `credentials::passwords`).
    pub passwords: PasswordHasher,
    /// Who security keys are made for, and the one origin their answers may come from.
    pub relying_party: RelyingParty,
}

/// What `Services::new` is given; the rest it builds.
pub struct Parts {
    pub db: AnyPool,
    pub secret_box: SecretBox,
    pub recovery_codes: RecoveryCodeKey,
    pub code_sealing: SecretBox,
    pub settings: Settings,
    pub clock: Clock,
    /// Kept in memory where one process owns the database (SQLite), read through elsewhere.
    pub identities: Identities,
    pub exchange_writer: Option<ExchangeWriter>,
}

impl Services {
    /// Builds the in-memory copies (empty), starts the hashing threads and the relying party.
    pub fn new(parts: Parts) -> Result<Self, AuthError> {
        let Parts { db, secret_box, recovery_codes, code_sealing, settings, clock, identities, exchange_writer } =
            parts;
        Ok(Self {
            relying_party: RelyingParty::new(&settings),
            passwords: PasswordHasher::start()?,
            clients: KeptClients::default(),
            access_tokens: AccessCache::default(),
            signing_keys: OpenedKeys::default(),
            db,
            secret_box,
            recovery_codes,
            code_sealing,
            settings,
            clock,
            identities,
            exchange_writer,
        })
    }

    /// The current Unix time, from the one clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Writes an event to the account's security log, at the clock's time.
    pub async fn log(&self, user_id: i64, event: Event, client_address: Option<&str>) {
        self.record(user_id, event, None, client_address).await;
    }

    /// `log`, for an event about one thing of the account (a security key, an app, a session):
    /// its name is logged.
    pub async fn log_key(&self, user_id: i64, event: Event, key_name: &str, client_address: Option<&str>) {
        self.record(user_id, event, Some(key_name), client_address).await;
    }

    async fn record(&self, user_id: i64, event: Event, key_name: Option<&str>, client_address: Option<&str>) {
        security_log::record(&self.db, user_id, event, key_name, client_address, self.now()).await;
        // After the write: a page kept for the account before it is stale now.
        self.identities.changed(user_id);
    }
}
