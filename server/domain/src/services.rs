//! What every flow is given: the database, the key for secrets at rest, the settings, the clock
//! and the cache of who is signed in. Built once at start-up (or by a test, with a manual clock).

use crate::{
    clock::Clock,
    credentials::{recovery_codes::RecoveryCodeKey, secret_box::SecretBox},
    openid::store::{clients::KeptClients, exchange_writer::ExchangeWriter},
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
    /// On SQLite, the one task that writes code exchanges (see `openid::store::exchange_writer`).
    pub exchange_writer: Option<ExchangeWriter>,
}

impl Services {
    /// The current Unix time, from the one clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Writes an event to the account's security log, at the clock's time.
    pub async fn log(&self, user_id: i64, event: Event, client_address: Option<&str>) {
        self.record(user_id, event, None, client_address).await;
    }

    /// `log`, for an event about one of the account's security keys (its name is logged).
    pub async fn log_key(&self, user_id: i64, event: Event, key_name: &str, client_address: Option<&str>) {
        self.record(user_id, event, Some(key_name), client_address).await;
    }

    async fn record(&self, user_id: i64, event: Event, key_name: Option<&str>, client_address: Option<&str>) {
        security_log::record(&self.db, user_id, event, key_name, client_address, self.now()).await;
        // After the write: a page kept for the account before it is stale now.
        self.identities.changed(user_id);
    }
}
