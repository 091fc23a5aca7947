//! Where sessions are kept: the `sessions` table (SQLite or PostgreSQL, through the same SQL),
//! with an in-memory copy in front of it when one process owns the database (SQLite).
//!
//! What this store guarantees, and why it is not tower-sessions' own sqlx store:
//! - **Only a SHA-256 of the session id is stored** (`id_hash`). The cookie value is a bearer
//!   token for a signed-in session; a copy of the database or a backup must open no session.
//! - **A deleted session stays deleted.** `save` only updates a row that still exists (no
//!   upsert), so a request that was in flight when the session was signed out cannot write it
//!   back; the memory copy keeps a tombstone of every deleted id so it cannot re-insert one
//!   either (see `Memory`).
//! - **The idle timeout is really idle.** Every use of a session moves its expiry, but at most
//!   one write per `touch_every` (a minute by default), so the signed-in fast paths stay reads.
//! - **Every session has an absolute lifetime** (`max_age`, from the row's creation: a session
//!   id is made new at every sign-in step, never by merely using it).
//!
//! One piece (over 350 lines, a fifth of them tests): the database rows and their in-memory
//! copy keep the guarantees above only together (a tombstone, say, answers a write the row
//! refused).

use async_trait::async_trait;
use domain::{credentials::secret_box::sha256_hex, Clock};
use moka::sync::Cache;
use sqlx::{AnyPool, Row};
use std::{collections::HashMap, sync::Arc, time::Duration};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Unused this long, a session ends (NIST SP 800-63B AAL2: 30 minutes).
    pub idle: Duration,
    /// However busy, a session ends this long after its sign-in (AAL2: 12 hours).
    pub max_age: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self { idle: Duration::from_secs(30 * 60), max_age: Duration::from_secs(12 * 60 * 60) }
    }
}

impl Lifetimes {
    /// How often a session in use has its expiry moved: once a minute, or more often for idle
    /// timeouts shorter than two minutes (tests).
    fn touch_every(&self) -> i64 {
        (self.idle.as_secs() as i64 / 2).clamp(1, 60)
    }
}

/// The key a session is stored under: SHA-256 of the cookie value, in hex.
pub fn stored_key(id: &Id) -> String {
    sha256_hex(id.to_string().as_bytes())
}

/// One stored session, as read.
#[derive(Clone)]
struct Stored {
    data: HashMap<String, serde_json::Value>,
    created_at: i64,
    expires_at: i64,
}

impl Stored {
    fn record(&self, id: Id) -> Record {
        let expiry_date = OffsetDateTime::from_unix_timestamp(self.expires_at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Record { id, data: self.data.clone(), expiry_date }
    }
}

#[derive(Clone)]
pub struct Sessions {
    db: AnyPool,
    lifetimes: Lifetimes,
    /// The sign-in's one clock (a manual one in tests, which then jump past a timeout).
    clock: Clock,
    memory: Option<Memory>,
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl Sessions {
    /// Sessions in the database only (several instances share it: PostgreSQL).
    pub fn new(db: AnyPool, lifetimes: Lifetimes, clock: Clock) -> Self {
        Self { db, lifetimes, clock, memory: None }
    }

    /// Sessions in the database, and in memory in front of it (one process owns it: SQLite).
    pub fn with_memory(db: AnyPool, lifetimes: Lifetimes, clock: Clock, capacity: u64) -> Self {
        Self { db, lifetimes, clock, memory: Some(Memory::new(capacity)) }
    }

    /// The expiry a session written now gets: idle timeout, but never past its absolute end.
    /// Returned as SQL over `created_at`, so one statement applies it to the row.
    fn expiry_sql(&self) -> String {
        format!(
            "CASE WHEN created_at + {max} < $2 THEN created_at + {max} ELSE $2 END",
            max = self.lifetimes.max_age.as_secs()
        )
    }

    fn idle_end(&self, now: i64) -> i64 {
        now + self.lifetimes.idle.as_secs() as i64
    }

    async fn insert_new(&self, key: &str, stored: &Stored) -> session_store::Result<bool> {
        let data = rmp_serde::to_vec(&stored.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT INTO sessions (id_hash, data, created_at, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(key)
        .bind(data)
        .bind(stored.created_at)
        .bind(stored.expires_at)
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Writes the data of a session that still exists and has not expired; `None` when there is
    /// no such session any more (it is never written back).
    async fn update(
        &self,
        key: &str,
        data: &HashMap<String, serde_json::Value>,
        now: i64,
    ) -> session_store::Result<Option<Stored>> {
        let encoded = rmp_serde::to_vec(data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let row = sqlx::query(&format!(
            "UPDATE sessions SET data = $1, expires_at = {expiry} WHERE id_hash = $3 AND expires_at > $4
             RETURNING created_at, expires_at",
            expiry = self.expiry_sql()
        ))
        .bind(encoded)
        .bind(self.idle_end(now))
        .bind(key)
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        row.map(|row| {
            Ok(Stored {
                data: data.clone(),
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| backend(e))
    }

    /// Moves the expiry of a session in use; `None` when it no longer exists.
    async fn touch(&self, key: &str, now: i64) -> session_store::Result<Option<i64>> {
        let row = sqlx::query(&format!(
            "UPDATE sessions SET expires_at = {expiry} WHERE id_hash = $1 AND expires_at > $3 RETURNING expires_at",
            expiry = self.expiry_sql()
        ))
        .bind(key)
        .bind(self.idle_end(now))
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        row.map(|row| row.try_get("expires_at")).transpose().map_err(backend)
    }

    async fn read(&self, key: &str, now: i64) -> session_store::Result<Option<Stored>> {
        let row =
            sqlx::query("SELECT data, created_at, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                .bind(key)
                .bind(now)
                .fetch_optional(&self.db)
                .await
                .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: Vec<u8> = row.try_get("data").map_err(backend)?;
        Ok(Some(Stored {
            data: rmp_serde::from_slice(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?,
            created_at: row.try_get("created_at").map_err(backend)?,
            expires_at: row.try_get("expires_at").map_err(backend)?,
        }))
    }

    /// Whether a session last written at `expires_at - idle` is due for a touch (its last write
    /// is `touch_every` old or older). So a session ends after between `idle - touch_every` and
    /// `idle` without use: the price of one write a minute instead of one per request.
    fn due_for_touch(&self, stored: &Stored, now: i64) -> bool {
        stored.expires_at <= self.idle_end(now) - self.lifetimes.touch_every()
            && stored.expires_at < stored.created_at + self.lifetimes.max_age.as_secs() as i64
    }

    /// Deletes the sessions whose time is up.
    pub async fn delete_expired(&self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(self.clock.now()).execute(&self.db).await?;
        Ok(())
    }

    /// Deletes expired sessions every `period` while the server runs.
    pub async fn keep_deleting_expired(self, period: Duration) {
        let mut interval = tokio::time::interval(period);
        loop {
            interval.tick().await;
            if let Err(e) = self.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    }
}

#[async_trait]
impl SessionStore for Sessions {
    /// A new session never takes over an existing one: on the (astronomically unlikely) clash of
    /// random ids, another id is drawn.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = self.clock.now();
        let expires_at = self.idle_end(now).min(now + self.lifetimes.max_age.as_secs() as i64);
        let stored = Stored { data: record.data.clone(), created_at: now, expires_at };
        while !self.insert_new(&stored_key(&record.id), &stored).await? {
            record.id = Id::default();
        }
        if let Some(memory) = &self.memory {
            memory.put(record.id, stored);
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let updated = self.update(&stored_key(&record.id), &record.data, self.clock.now()).await?;
        if let Some(memory) = &self.memory {
            match updated {
                Some(stored) => memory.put(record.id, stored),
                None => memory.forget(&record.id),
            }
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        let known = self.memory.as_ref().and_then(|m| m.get(id));
        let mut stored = match known {
            Some(stored) if stored.expires_at > now => {
                if !self.due_for_touch(&stored, now) {
                    // The signed-in fast path: one look in memory, no write.
                    return Ok(Some(stored.record(*id)));
                }
                (*stored).clone()
            }
            Some(_) => {
                if let Some(memory) = &self.memory {
                    memory.forget(id);
                }
                return Ok(None);
            }
            None => match self.read(&stored_key(id), now).await? {
                Some(stored) => stored,
                None => return Ok(None),
            },
        };
        if self.due_for_touch(&stored, now) {
            match self.touch(&stored_key(id), now).await? {
                Some(expires_at) => stored.expires_at = expires_at,
                None => {
                    if let Some(memory) = &self.memory {
                        memory.forget(id);
                    }
                    return Ok(None);
                }
            }
        }
        if let Some(memory) = &self.memory {
            memory.put(*id, stored.clone());
        }
        Ok(Some(stored.record(*id)))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        // The tombstone first: a concurrent load or save that read the row before it is deleted
        // finds the tombstone after putting its copy, and removes the copy again.
        if let Some(memory) = &self.memory {
            memory.bury(id);
        }
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(stored_key(id))
            .execute(&self.db)
            .await
            .map_err(backend)?;
        if let Some(memory) = &self.memory {
            memory.forget(id);
        }
        Ok(())
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("lifetimes", &self.lifetimes).field("memory", &self.memory.is_some()).finish()
    }
}

/// The in-memory copy of sessions (SQLite only), and the ids deleted lately.
///
/// A copy is only ever put after the database said the session exists; a put is followed by a
/// look at the tombstones, and a delete buries the id before it deletes the row and drops the
/// copy. So whatever the interleaving, a copy put by a request that raced a sign-out is removed
/// again: the memory never brings back what was deleted.
#[derive(Clone)]
struct Memory {
    copies: Cache<Id, Arc<Stored>>,
    tombstones: Cache<Id, ()>,
}

impl Memory {
    fn new(capacity: u64) -> Self {
        Self {
            // No expiry policy of moka's own: every read checks `expires_at` itself, and a policy
            // would add bookkeeping to every read of the signed-in fast path. Sessions that
            // ended are dropped on their next read, or pushed out by newer ones (capacity).
            copies: Cache::builder().max_capacity(capacity).build(),
            // Longer than any request may run (30 s), so every racing request meets it.
            tombstones: Cache::builder().max_capacity(capacity).time_to_live(Duration::from_secs(120)).build(),
        }
    }

    fn get(&self, id: &Id) -> Option<Arc<Stored>> {
        self.copies.get(id)
    }

    fn put(&self, id: Id, stored: Stored) {
        self.copies.insert(id, Arc::new(stored));
        if self.tombstones.contains_key(&id) {
            self.copies.invalidate(&id);
        }
    }

    fn forget(&self, id: &Id) {
        self.copies.invalidate(id);
    }

    fn bury(&self, id: &Id) {
        self.tombstones.insert(*id, ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sessions(memory: bool) -> Sessions {
        sqlx::any::install_default_drivers();
        let db =
            sqlx::pool::PoolOptions::<sqlx::Any>::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, data BLOB NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)")
            .execute(&db)
            .await
            .unwrap();
        if memory {
            Sessions::with_memory(db, Lifetimes::default(), Clock::System, 100)
        } else {
            Sessions::new(db, Lifetimes::default(), Clock::System)
        }
    }

    fn record(value: &str) -> Record {
        let data = HashMap::from([("k".to_owned(), serde_json::json!(value))]);
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() }
    }

    #[tokio::test]
    async fn a_created_session_loads_back() {
        for memory in [false, true] {
            let store = sessions(memory).await;
            let mut created = record("a");
            store.create(&mut created).await.unwrap();
            let loaded = store.load(&created.id).await.unwrap().expect("stored");
            assert_eq!(loaded.data, created.data);
        }
    }

    #[tokio::test]
    async fn only_a_hash_of_the_id_is_stored() {
        let store = sessions(false).await;
        let mut created = record("a");
        store.create(&mut created).await.unwrap();
        let keys: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(&store.db).await.unwrap();
        assert_eq!(keys, [stored_key(&created.id)]);
        assert!(!keys[0].contains(&created.id.to_string()));
    }

    #[tokio::test]
    async fn creating_never_overwrites_an_existing_session() {
        let store = sessions(false).await;
        let mut first = record("first");
        store.create(&mut first).await.unwrap();
        let mut clash = record("second");
        clash.id = first.id;
        store.create(&mut clash).await.unwrap();
        assert_ne!(clash.id, first.id, "a clashing id must be replaced");
        assert_eq!(store.load(&first.id).await.unwrap().unwrap().data, first.data);
        assert_eq!(store.load(&clash.id).await.unwrap().unwrap().data, clash.data);
    }

    #[tokio::test]
    async fn saving_a_deleted_session_does_not_bring_it_back() {
        for memory in [false, true] {
            let store = sessions(memory).await;
            let mut created = record("a");
            store.create(&mut created).await.unwrap();
            let loaded = store.load(&created.id).await.unwrap().unwrap();
            store.delete(&created.id).await.unwrap();
            store.save(&loaded).await.unwrap();
            assert!(store.load(&created.id).await.unwrap().is_none(), "memory: {memory}");
        }
    }

    #[tokio::test]
    async fn the_memory_never_puts_back_a_buried_session() {
        let store = sessions(true).await;
        let memory = store.memory.clone().unwrap();
        let id = Id::default();
        memory.bury(&id);
        memory.put(id, Stored { data: HashMap::new(), created_at: 0, expires_at: i64::MAX });
        assert!(memory.get(&id).is_none());
    }
}
