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
    mail::{messages, Outgoing, Requester},
    openid::store::{
        access_cache::AccessCache, clients::KeptClients, exchange_writer::ExchangeWriter, opened_keys::OpenedKeys,
    },
    settings::Settings,
    storage::{
        accounts,
        identities::Identities,
        kept_app_passwords::KeptAppPasswords,
        outbox::Outbox,
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
    /// App passwords and clear throttle keys, for the gate (SQLite only; see
    /// `storage::kept_app_passwords`).
    pub app_passwords: KeptAppPasswords,
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
    /// Wakes the mail sender when a message was queued (`mail_queued`).
    pub outbox_waker: std::sync::Arc<tokio::sync::Notify>,
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
            outbox_waker: std::sync::Arc::default(),
            passwords: PasswordHasher::start()?,
            clients: KeptClients::default(),
            access_tokens: AccessCache::default(),
            app_passwords: KeptAppPasswords::new(identities.in_memory()),
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
        let requester = Requester { address: client_address, user_agent: None };
        self.record(user_id, event, None, requester).await;
    }

    /// `log`, for an event about one thing of the account (a security key, an app, a session):
    /// its name is logged.
    pub async fn log_key(&self, user_id: i64, event: Event, key_name: &str, client_address: Option<&str>) {
        let requester = Requester { address: client_address, user_agent: None };
        self.record(user_id, event, Some(key_name), requester).await;
    }

    /// `log`, naming the browser too: what the notice mailed for the event says (`mail`).
    pub async fn log_by(&self, user_id: i64, event: Event, key_name: Option<&str>, requester: Requester<'_>) {
        self.record(user_id, event, key_name, requester).await;
    }

    /// The event, and, for the events the owner is told about (`mail::messages::notice_words`)
    /// when the account has a verified address, the notice: in one transaction.
    async fn record(&self, user_id: i64, event: Event, key_name: Option<&str>, requester: Requester<'_>) {
        let notice = self.settings.mail.as_ref().and_then(|_| messages::notice_words(event, key_name));
        match notice {
            None => security_log::record(&self.db, user_id, event, key_name, requester.address, self.now()).await,
            Some(words) => match self.record_with_notice(user_id, event, key_name, &requester, words).await {
                Ok(queued) => {
                    if queued {
                        self.mail_queued();
                    }
                }
                Err(e) => {
                    tracing::error!(error = ?e, kind = event.kind(), "could not write the security log and its notice")
                }
            },
        }
        // After the write: a page kept for the account before it is stale now.
        self.identities.changed(user_id);
    }

    async fn record_with_notice(
        &self,
        user_id: i64,
        event: Event,
        key_name: Option<&str>,
        requester: &Requester<'_>,
        words: (String, String),
    ) -> Result<bool, sqlx::Error> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        security_log::insert(&mut tx, user_id, event, key_name, requester.address, now).await?;
        let owner = accounts::verified_address(&mut tx, user_id).await?;
        if let Some((username, address)) = &owner {
            let notice = messages::notice(address, username, words, now, requester, &self.settings.public_url);
            self.queue_mail(&mut tx, &notice).await?;
        }
        tx.commit().await?;
        Ok(owner.is_some())
    }

    /// Queues a message on the caller's connection (in its transaction). Nothing when mail is
    /// off. Call `mail_queued` once the transaction is committed.
    pub async fn queue_mail(&self, conn: &mut sqlx::AnyConnection, mail: &Outgoing) -> Result<(), sqlx::Error> {
        let Some(outbox) = self.outbox() else { return Ok(()) };
        outbox.queue(conn, mail, self.now()).await
    }

    /// The server's outbox, `None` while mail is off.
    pub fn outbox(&self) -> Option<Outbox<'_>> {
        let identity = self.settings.mail.as_ref()?;
        Some(Outbox { secret_box: &self.secret_box, identity })
    }

    /// Tells the mail sender a message waits (after the transaction that queued it committed).
    pub fn mail_queued(&self) {
        self.outbox_waker.notify_one();
    }
}
