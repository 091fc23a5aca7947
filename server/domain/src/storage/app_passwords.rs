//! The `app_passwords` table: what is kept of each app password (its lookup and keyed hash,
//! never the secret: `credentials::app_passwords`), its name, hosts, expiry and last use.
//!
//! Revoking deletes the row, so revocation holds at once on every instance: with PostgreSQL the
//! gate reads the row on every request that presents an app password (one indexed read); with
//! SQLite it keeps it in memory (`kept_app_passwords`). Every app password of
//! an account is deleted with its password change, its 2FA turned off or reset, and its
//! disabling (`DELETE_ACCOUNT`, in the statements that make those changes).

use sqlx::{AnyPool, Row};

/// Deletes every app password of the account (`$1`).
pub(crate) const DELETE_ACCOUNT: &str = "DELETE FROM app_passwords WHERE user_id = $1";

/// The most app passwords an account may hold.
pub const AT_MOST: i64 = 50;

/// Last use is written at most this often (seconds) per app password.
pub const LAST_USE_EVERY: i64 = 60;

/// An app password as its owner's list shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    /// Empty: any host whose rule allows app passwords.
    pub hosts: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_from: Option<String>,
}

/// What the gate reads to check a presented app password.
#[derive(Clone)]
pub struct Stored {
    pub id: i64,
    pub user_id: i64,
    pub hash: String,
    pub hosts: Vec<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// The new app password's fields.
pub struct New<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub lookup: &'a str,
    pub hash: &'a str,
    pub hosts: &'a [String],
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Adds an app password; its id. `None` when the account holds `AT_MOST` already.
pub async fn insert(db: &AnyPool, new: New<'_>) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO app_passwords (user_id, name, lookup, hash, hosts, created_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT COUNT(*) FROM app_passwords WHERE user_id = $1) < $8
         RETURNING id",
    )
    .bind(new.user_id)
    .bind(new.name)
    .bind(new.lookup)
    .bind(new.hash)
    .bind(new.hosts.join(","))
    .bind(new.created_at)
    .bind(new.expires_at)
    .bind(AT_MOST)
    .fetch_optional(db)
    .await?;
    Ok(id)
}

/// The account's app passwords, newest first (expired ones too, marked by their expiry).
pub async fn list(db: &AnyPool, user_id: i64) -> Result<Vec<Listed>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, hosts, created_at, expires_at, last_used_at, last_used_from
         FROM app_passwords WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(AT_MOST)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Listed {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                hosts: hosts_of(&row.try_get::<String, _>("hosts")?),
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                last_used_at: row.try_get("last_used_at")?,
                last_used_from: row.try_get("last_used_from")?,
            })
        })
        .collect()
}

/// The app passwords whose lookup is `lookup` (almost always none or one), each with its owner's
/// session epoch, read in the same statement.
pub async fn find(db: &AnyPool, lookup: &str) -> Result<Vec<(Stored, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.user_id, a.hash, a.hosts, a.expires_at, a.last_used_at, u.session_epoch
         FROM app_passwords a JOIN users u ON u.id = a.user_id WHERE a.lookup = $1 LIMIT 4",
    )
    .bind(lookup)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                Stored {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    hash: row.try_get("hash")?,
                    hosts: hosts_of(&row.try_get::<String, _>("hosts")?),
                    expires_at: row.try_get("expires_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                },
                row.try_get("session_epoch")?,
            ))
        })
        .collect()
}

/// Revokes (deletes) one app password of the account; its lookup and name (`None`: the account
/// holds no such one).
pub async fn revoke(db: &AnyPool, user_id: i64, id: i64) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("DELETE FROM app_passwords WHERE id = $1 AND user_id = $2 RETURNING lookup, name")
        .bind(id)
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    row.map(|row| Ok((row.try_get("lookup")?, row.try_get("name")?))).transpose()
}

/// Revokes every app password of the account.
pub async fn revoke_all(db: &AnyPool, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(DELETE_ACCOUNT).bind(user_id).execute(db).await?;
    Ok(())
}

/// Records a use at `now` from `from`, unless one was recorded within `LAST_USE_EVERY` seconds.
pub async fn used(db: &AnyPool, id: i64, now: i64, from: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE app_passwords SET last_used_at = $1, last_used_from = $2
         WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $4)",
    )
    .bind(now)
    .bind(from)
    .bind(id)
    .bind(now - LAST_USE_EVERY)
    .execute(db)
    .await?;
    Ok(())
}

fn hosts_of(text: &str) -> Vec<String> {
    text.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect()
}
