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
//! - **Each row says whose it is, and from where** (migration 0012, for "Your sessions"): every
//!   write reads the sign-in from the data (`SIGN_IN_KEY`) into `user_id` and `session_epoch`
//!   (only while signed in with every factor), and moves the browser and address a sign-in left
//!   (`DEVICE_KEY`) out of the data into `user_agent` and `client_address`, which later writes
//!   keep. `last_used_at` moves with every write, the touch included (so it is at most
//!   `touch_every` old while the session is in use). A session can be ended by its key alone
//!   (`end_stored`), by its owner from another session, with the same tombstone as a sign-out.
//!
//! One piece (over 350 lines, a fifth of them tests): the database rows and their in-memory
//! copy keep the guarantees above only together (a tombstone, say, answers a write the row
//! refused).

use app::server::session::{SignInDevice, DEVICE_KEY, SIGN_IN_KEY};
use async_trait::async_trait;
use domain::{
    flows::{session::SignInRecord, sessions::StoredSessions},
    storage::sessions,
    AuthError, Clock,
};
use moka::sync::Cache;
use sqlx::{AnyPool, Row};
use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Duration};
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
    sessions::stored_key(&id.to_string())
}

/// What a write keeps beside the session's data, read from the data (see the module's head).
#[derive(Default)]
struct Columns {
    /// Both set only while the session is signed in with every factor.
    user_id: Option<i64>,
    session_epoch: Option<i64>,
    /// `None`: the columns keep what they hold.
    device: Option<SignInDevice>,
}

/// The data a session keeps, and its columns: the sign-in device is taken out of the data (it
/// lives in the columns alone, so the copy of the data every signed-in read makes stays small).
fn split(data: &HashMap<String, serde_json::Value>) -> (HashMap<String, serde_json::Value>, Columns) {
    let mut kept = data.clone();
    let device = kept.remove(DEVICE_KEY).and_then(|value| serde_json::from_value(value).ok());
    let signed_in = kept.get(SIGN_IN_KEY).and_then(|value| serde_json::from_value::<SignInRecord>(value.clone()).ok());
    let (user_id, session_epoch) = match signed_in {
        Some(SignInRecord::SignedIn { user_id, epoch, .. }) => (Some(user_id), Some(epoch)),
        _ => (None, None),
    };
    (kept, Columns { user_id, session_epoch, device })
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

    async fn insert_new(&self, key: &str, stored: &Stored, columns: &Columns) -> session_store::Result<bool> {
        let data = rmp_serde::to_vec(&stored.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let device = columns.device.as_ref();
        let inserted = sqlx::query(
            "INSERT INTO sessions (id_hash, data, created_at, expires_at, user_id, session_epoch, user_agent,
                                   client_address, signed_in_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $3)
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(key)
        .bind(data)
        .bind(stored.created_at)
        .bind(stored.expires_at)
        .bind(columns.user_id)
        .bind(columns.session_epoch)
        .bind(device.and_then(|d| d.user_agent.clone()))
        .bind(device.and_then(|d| d.client_address.clone()))
        .bind(columns.user_id.map(|_| stored.created_at))
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Writes the data of a session that still exists and has not expired; `None` when there is
    /// no such session any more (it is never written back). The session was first signed in
    /// when a write first found it signed in (`signed_in_at`).
    async fn update(
        &self,
        key: &str,
        data: HashMap<String, serde_json::Value>,
        columns: &Columns,
        now: i64,
    ) -> session_store::Result<Option<Stored>> {
        let encoded = rmp_serde::to_vec(&data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let device = columns.device.as_ref();
        let row = sqlx::query(&format!(
            "UPDATE sessions SET data = $1, expires_at = {expiry}, last_used_at = $4,
                    user_id = $5, session_epoch = $6,
                    user_agent = COALESCE($7, user_agent), client_address = COALESCE($8, client_address),
                    signed_in_at = CASE WHEN $5 IS NULL THEN NULL ELSE COALESCE(signed_in_at, $4) END
             WHERE id_hash = $3 AND expires_at > $4
             RETURNING created_at, expires_at",
            expiry = self.expiry_sql()
        ))
        .bind(encoded)
        .bind(self.idle_end(now))
        .bind(key)
        .bind(now)
        .bind(columns.user_id)
        .bind(columns.session_epoch)
        .bind(device.and_then(|d| d.user_agent.clone()))
        .bind(device.and_then(|d| d.client_address.clone()))
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        row.map(|row| {
            Ok(Stored { data, created_at: row.try_get("created_at")?, expires_at: row.try_get("expires_at")? })
        })
        .transpose()
        .map_err(|e: sqlx::Error| backend(e))
    }

    /// Moves the expiry of a session in use; `None` when it no longer exists.
    async fn touch(&self, key: &str, now: i64) -> session_store::Result<Option<i64>> {
        let row = sqlx::query(&format!(
            "UPDATE sessions SET expires_at = {expiry}, last_used_at = $3 WHERE id_hash = $1 AND expires_at > $3
             RETURNING expires_at",
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
        let (data, columns) = split(&record.data);
        let stored = Stored { data, created_at: now, expires_at };
        let mut key = stored_key(&record.id);
        while !self.insert_new(&key, &stored, &columns).await? {
            record.id = Id::default();
            key = stored_key(&record.id);
        }
        if let Some(memory) = &self.memory {
            memory.put(record.id, &key, stored);
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let key = stored_key(&record.id);
        let (data, columns) = split(&record.data);
        let updated = self.update(&key, data, &columns, self.clock.now()).await?;
        if let Some(memory) = &self.memory {
            match updated {
                Some(stored) => memory.put(record.id, &key, stored),
                None => memory.forget(&record.id),
            }
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        let known = self.memory.as_ref().and_then(|m| m.get(id));
        if let Some(stored) = &known {
            if stored.expires_at > now && !self.due_for_touch(stored, now) {
                // The signed-in fast path: one look in memory, no write (and no hashing).
                return Ok(Some(stored.record(*id)));
            }
        }
        let key = stored_key(id);
        let mut stored = match known {
            Some(stored) if stored.expires_at > now => (*stored).clone(),
            Some(_) => {
                if let Some(memory) = &self.memory {
                    memory.forget(id);
                }
                return Ok(None);
            }
            None => match self.read(&key, now).await? {
                Some(stored) => stored,
                None => return Ok(None),
            },
        };
        if self.due_for_touch(&stored, now) {
            match self.touch(&key, now).await? {
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
            memory.put(*id, &key, stored.clone());
        }
        Ok(Some(stored.record(*id)))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.end(&stored_key(id), Some(id)).await.map_err(backend)
    }
}

impl Sessions {
    /// Deletes the session stored under `key` (whose id is `id`, when known). The tombstone
    /// first: a concurrent load or save that read the row before it is deleted finds the
    /// tombstone after putting its copy, and removes the copy again.
    async fn end(&self, key: &str, id: Option<&Id>) -> Result<(), sqlx::Error> {
        if let Some(memory) = &self.memory {
            memory.bury(key);
        }
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(key).execute(&self.db).await?;
        if let Some(memory) = &self.memory {
            match id {
                Some(id) => memory.forget(id),
                None => memory.forget_key(key),
            }
        }
        Ok(())
    }
}

/// How a session's owner ends another of their sessions ("End" on `/account/sessions`): by its
/// key, with the same tombstone and the same removal of the memory copy as a sign-out, so the
/// session is signed out on its very next request.
impl StoredSessions for Sessions {
    fn end_stored<'a>(&'a self, key: &'a str) -> Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send + 'a>> {
        Box::pin(async move { self.end(key, None).await.map_err(AuthError::from) })
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("lifetimes", &self.lifetimes).field("memory", &self.memory.is_some()).finish()
    }
}

/// The in-memory copy of sessions (SQLite only), and the keys deleted lately.
///
/// A copy is only ever put after the database said the session exists; a put is followed by a
/// look at the tombstones, and a delete buries the key before it deletes the row and drops the
/// copy. So whatever the interleaving, a copy put by a request that raced a sign-out is removed
/// again: the memory never brings back what was deleted. Tombstones are by key (not by id), so a
/// session ended by its key alone (`end_stored`) is buried as surely as one signed out.
#[derive(Clone)]
struct Memory {
    copies: Cache<Id, Arc<Stored>>,
    tombstones: Cache<String, ()>,
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

    /// `key` is `stored_key(&id)`, which every caller has computed already.
    fn put(&self, id: Id, key: &str, stored: Stored) {
        self.copies.insert(id, Arc::new(stored));
        if self.tombstones.contains_key(key) {
            self.copies.invalidate(&id);
        }
    }

    fn forget(&self, id: &Id) {
        self.copies.invalidate(id);
    }

    /// Drops the copy of the session stored under `key`, by a look at every copy (the copies
    /// are by id, and a key does not give the id back): a hash per kept session, at most the
    /// capacity, paid only when an owner ends one of their sessions from another.
    fn forget_key(&self, key: &str) {
        for (id, _) in self.copies.iter() {
            if stored_key(&id) == key {
                self.copies.invalidate(id.as_ref());
            }
        }
    }

    fn bury(&self, key: &str) {
        self.tombstones.insert(key.to_owned(), ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sessions(memory: bool) -> Sessions {
        sqlx::any::install_default_drivers();
        let db =
            sqlx::pool::PoolOptions::<sqlx::Any>::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        sqlx::query(
            "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, data BLOB NOT NULL, created_at INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL, user_id INTEGER, session_epoch INTEGER, user_agent TEXT,
                 client_address TEXT, signed_in_at INTEGER, last_used_at INTEGER)",
        )
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
        memory.bury(&stored_key(&id));
        memory.put(id, &stored_key(&id), Stored { data: HashMap::new(), created_at: 0, expires_at: i64::MAX });
        assert!(memory.get(&id).is_none());
    }

    fn signed_in(user_id: i64, device: Option<(&str, &str)>) -> Record {
        let mut data = HashMap::from([(
            SIGN_IN_KEY.to_owned(),
            serde_json::to_value(SignInRecord::SignedIn { user_id, since: 1, epoch: 3 }).unwrap(),
        )]);
        if let Some((user_agent, address)) = device {
            let device = SignInDevice { user_agent: Some(user_agent.into()), client_address: Some(address.into()) };
            data.insert(DEVICE_KEY.to_owned(), serde_json::to_value(device).unwrap());
        }
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() }
    }

    async fn columns(store: &Sessions, id: &Id) -> (Option<i64>, Option<i64>, Option<String>, Option<String>) {
        sqlx::query_as("SELECT user_id, session_epoch, user_agent, client_address FROM sessions WHERE id_hash = $1")
            .bind(stored_key(id))
            .fetch_one(&store.db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_signed_in_session_says_whose_it_is_and_keeps_its_device_out_of_its_data() {
        for memory in [false, true] {
            let store = sessions(memory).await;
            let mut created = signed_in(7, Some(("Firefox/128.0", "192.0.2.1")));
            store.create(&mut created).await.unwrap();
            let expected = (Some(7), Some(3), Some("Firefox/128.0".to_owned()), Some("192.0.2.1".to_owned()));
            assert_eq!(columns(&store, &created.id).await, expected);
            let loaded = store.load(&created.id).await.unwrap().unwrap();
            assert!(!loaded.data.contains_key(DEVICE_KEY), "the device lives in its columns alone");
            store.save(&loaded).await.unwrap();
            assert_eq!(columns(&store, &created.id).await, expected, "a later write keeps the device");
            let mut pending = record("pending");
            store.create(&mut pending).await.unwrap();
            assert_eq!(columns(&store, &pending.id).await, (None, None, None, None), "not signed in: nobody's");
        }
    }

    #[tokio::test]
    async fn a_session_ended_by_its_key_is_gone_from_memory_and_stays_gone() {
        let store = sessions(true).await;
        let mut created = signed_in(7, None);
        store.create(&mut created).await.unwrap();
        let loaded = store.load(&created.id).await.unwrap().unwrap();
        store.end_stored(&stored_key(&created.id)).await.unwrap();
        assert!(store.load(&created.id).await.unwrap().is_none(), "not served from the memory copy");
        store.save(&loaded).await.unwrap();
        assert!(store.load(&created.id).await.unwrap().is_none(), "a request in flight does not bring it back");
        let memory = store.memory.clone().unwrap();
        memory.put(
            created.id,
            &stored_key(&created.id),
            Stored { data: HashMap::new(), created_at: 0, expires_at: i64::MAX },
        );
        assert!(memory.get(&created.id).is_none(), "its key is buried");
    }
}
