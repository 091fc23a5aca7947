//! The SQLite session store: tower-sessions-sqlx-store's `SqliteStore` (its table, encoding,
//! loading, saving and expiry), except that a new session is created with one statement instead
//! of a transaction of three (BEGIN, INSERT, COMMIT). A sign-in creates two sessions (after the
//! password, after the code), and on SQLite each statement is a round trip to a worker thread.

use async_trait::async_trait;
use sqlx::SqlitePool;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
    ExpiredDeletion,
};
use tower_sessions_sqlx_store::SqliteStore;

/// `SqliteStore`'s default table.
const TABLE: &str = "tower_sessions";

#[derive(Clone, Debug)]
pub struct SqliteSessions {
    store: SqliteStore,
    pool: SqlitePool,
}

impl SqliteSessions {
    pub fn new(pool: SqlitePool) -> Self {
        Self { store: SqliteStore::new(pool.clone()), pool }
    }

    /// Creates the session table when it is missing.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        self.store.migrate().await
    }

    /// Inserts `record` unless its id is taken; returns whether it was inserted.
    async fn insert_new(&self, record: &Record) -> session_store::Result<bool> {
        let data = rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO {TABLE} (id, data, expiry_date) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING"
        ))
        .bind(record.id.to_string())
        .bind(data)
        .bind(record.expiry_date)
        .execute(&self.pool)
        .await
        .map_err(|e| session_store::Error::Backend(e.to_string()))?;
        Ok(inserted.rows_affected() == 1)
    }
}

#[async_trait]
impl SessionStore for SqliteSessions {
    /// A new session never takes over an existing one: on the (astronomically unlikely) clash of
    /// random ids, another id is drawn.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.insert_new(record).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save(record).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.store.load(session_id).await
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.store.delete(session_id).await
    }
}

#[async_trait]
impl ExpiredDeletion for SqliteSessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.store.delete_expired().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use time::OffsetDateTime;

    async fn store() -> SqliteSessions {
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        let store = SqliteSessions::new(pool);
        store.migrate().await.unwrap();
        store
    }

    fn record(value: &str) -> Record {
        let data = HashMap::from([("k".to_owned(), serde_json::json!(value))]);
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) }
    }

    #[tokio::test]
    async fn a_created_session_loads_back_as_the_sqlx_store_reads_it() {
        let store = store().await;
        let mut created = record("a");
        store.create(&mut created).await.unwrap();
        let loaded = store.store.load(&created.id).await.unwrap().expect("stored");
        assert_eq!(loaded.data, created.data);
        assert_eq!(loaded.id, created.id);
    }

    #[tokio::test]
    async fn creating_never_overwrites_an_existing_session() {
        let store = store().await;
        let mut first = record("first");
        store.create(&mut first).await.unwrap();
        let mut clash = record("second");
        clash.id = first.id;
        store.create(&mut clash).await.unwrap();
        assert_ne!(clash.id, first.id, "a clashing id must be replaced");
        assert_eq!(store.load(&first.id).await.unwrap().unwrap().data, first.data);
        assert_eq!(store.load(&clash.id).await.unwrap().unwrap().data, clash.data);
    }
}
