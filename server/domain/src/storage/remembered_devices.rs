//! Remembered devices (`remembered_devices`): the browsers where the password alone completes
//! an account's sign-in. Only the SHA-256 of each cookie's secret is kept
//! (`credentials::remembered_device`). Every function takes the time it needs as `now`.

use sqlx::{AnyPool, Row};

/// The most devices an account keeps: remembering one more forgets the least recently used.
pub const KEPT_AT_MOST: i64 = 20;

/// Deletes every device of the account (bound as `$1`): run inside the statements that turn 2FA
/// off, end the account's sessions, disable or delete it, so they are forgotten together.
pub const FORGET_ACCOUNT: &str = "DELETE FROM remembered_devices WHERE user_id = $1";

/// A device as the account's owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDevice {
    pub token_hash: String,
    pub handle: String,
    /// The shortened `User-Agent` of the browser that asked to be remembered.
    pub user_agent: Option<String>,
    pub client_address: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
}

/// A new device, with what the browser and address were, until `expires_at`. The account's
/// expired devices go, and the least recently used beyond `KEPT_AT_MOST`.
#[allow(clippy::too_many_arguments)]
pub async fn remember(
    db: &AnyPool,
    account_id: i64,
    token_hash: &str,
    handle: &str,
    user_agent: Option<&str>,
    client_address: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO remembered_devices
            (user_id, token_hash, handle, user_agent, client_address, created_at, last_used_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(account_id)
    .bind(token_hash)
    .bind(handle)
    .bind(user_agent)
    .bind(client_address)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1 AND expires_at <= $2")
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM remembered_devices WHERE user_id = $1 AND id NOT IN
            (SELECT id FROM remembered_devices WHERE user_id = $1 ORDER BY last_used_at DESC, id DESC LIMIT $2)",
    )
    .bind(account_id)
    .bind(KEPT_AT_MOST)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Whether `token_hash` is a live device of the account (not expired, not forgotten); when it
/// is, its last use becomes `now`. One conditional statement: a device forgotten meanwhile
/// counts for nothing.
pub async fn use_device(db: &AnyPool, account_id: i64, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE remembered_devices SET last_used_at = $1 WHERE user_id = $2 AND token_hash = $3 AND expires_at > $1",
    )
    .bind(now)
    .bind(account_id)
    .bind(token_hash)
    .execute(db)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// The account's live devices, the most recently used first.
pub async fn list(db: &AnyPool, account_id: i64, now: i64) -> Result<Vec<StoredDevice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT token_hash, handle, user_agent, client_address, created_at, last_used_at, expires_at
         FROM remembered_devices WHERE user_id = $1 AND expires_at > $2
         ORDER BY last_used_at DESC, id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(now)
    .bind(KEPT_AT_MOST)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(StoredDevice {
                token_hash: row.try_get("token_hash")?,
                handle: row.try_get("handle")?,
                user_agent: row.try_get("user_agent")?,
                client_address: row.try_get("client_address")?,
                created_at: row.try_get("created_at")?,
                last_used_at: row.try_get("last_used_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .collect()
}

/// Forgets the account's device named by `handle`; its description when there was one (a
/// handle of another account's device names nothing here).
pub async fn forget(db: &AnyPool, account_id: i64, handle: &str) -> Result<Option<Option<String>>, sqlx::Error> {
    let row = sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1 AND handle = $2 RETURNING user_agent")
        .bind(account_id)
        .bind(handle)
        .fetch_optional(db)
        .await?;
    row.map(|row| row.try_get::<Option<String>, _>("user_agent")).transpose()
}

/// Forgets every device of the account (outside a larger statement).
pub async fn forget_all<'e, E>(executor: E, account_id: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(FORGET_ACCOUNT).bind(account_id).execute(executor).await?;
    Ok(())
}
