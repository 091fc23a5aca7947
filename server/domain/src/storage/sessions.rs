//! The `sessions` table, as the account's owner (and the admin console) sees it: the signed-in
//! sessions of an account, each with its browser, address and times. The session store
//! (`server/src/infra/session_store.rs`) writes this table and deletes from it; these are its
//! only reads from outside the store, and they never open a session's data.
//!
//! A session is named in three ways: its id (the cookie's value: a bearer secret, never stored),
//! its key (`stored_key`: SHA-256 of the id, the table's primary key) and its handle
//! (`handle_of`: derived from the key, shown on the page). A handle opens nothing and is only
//! looked up among the sessions of the account asking, so another account's handle names
//! nothing.

use crate::credentials::secret_box::sha256_hex;
use sqlx::{AnyPool, Row};

/// The key a session is stored under: SHA-256 of its id (the cookie's value), in hex.
pub fn stored_key(session_id: &str) -> String {
    sha256_hex(session_id.as_bytes())
}

/// The handle a page shows for a session: 128 bits of a SHA-256 of its key, in hex. One-way, so
/// the page (or a log of it) gives neither the id nor the key.
pub fn handle_of(key: &str) -> String {
    let mut handle = sha256_hex(format!("session handle\n{key}").as_bytes());
    handle.truncate(32);
    handle
}

/// One signed-in session, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub key: String,
    pub user_agent: Option<String>,
    pub client_address: Option<String>,
    pub signed_in_at: i64,
    pub last_used_at: i64,
}

const COLUMNS: &str = "id_hash, user_agent, client_address, signed_in_at, last_used_at";

/// Sessions signed in with every factor, to the account, at its current epoch, and not expired.
const LISTED: &str = "user_id = $1 AND session_epoch = $2 AND expires_at > $3";

fn stored_from(row: &sqlx::any::AnyRow) -> Result<StoredSession, sqlx::Error> {
    Ok(StoredSession {
        key: row.try_get("id_hash")?,
        user_agent: row.try_get("user_agent")?,
        client_address: row.try_get("client_address")?,
        signed_in_at: row.try_get::<Option<i64>, _>("signed_in_at")?.unwrap_or_default(),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.unwrap_or_default(),
    })
}

/// The account's sessions signed in with every factor at `epoch` (the account's current one)
/// and not expired at `now`: `first` (the asking session's key) first, then the most recently
/// used; at most `limit`.
pub async fn signed_in(
    db: &AnyPool,
    user_id: i64,
    epoch: i64,
    now: i64,
    first: Option<&str>,
    limit: i64,
) -> Result<Vec<StoredSession>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sessions WHERE {LISTED}
         ORDER BY CASE WHEN id_hash = $4 THEN 0 ELSE 1 END, last_used_at DESC, signed_in_at DESC
         LIMIT $5"
    ))
    .bind(user_id)
    .bind(epoch)
    .bind(now)
    .bind(first.unwrap_or_default())
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(stored_from).collect()
}

/// The account's signed-in session (any of those `signed_in` lists, beyond its limit too) whose
/// handle is `handle`, if there is one.
pub async fn by_handle(
    db: &AnyPool,
    user_id: i64,
    epoch: i64,
    now: i64,
    handle: &str,
) -> Result<Option<StoredSession>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM sessions WHERE {LISTED}"))
        .bind(user_id)
        .bind(epoch)
        .bind(now)
        .fetch_all(db)
        .await?;
    for row in &rows {
        let key: String = row.try_get("id_hash")?;
        if handle_of(&key) == handle {
            return stored_from(row).map(Some);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_is_fixed_for_a_key_and_gives_neither_the_key_nor_the_id() {
        let key = stored_key("session-id");
        let handle = handle_of(&key);
        assert_eq!(handle, handle_of(&key));
        assert_eq!(handle.len(), 32);
        assert_ne!(handle, handle_of(&stored_key("another-id")));
        assert!(!key.contains(&handle) && !handle.contains("session-id"));
    }
}
