//! The links mail carries — verifying an address, resetting a password. Only the SHA-256 of a
//! link's token is kept. A link is used at most once: `use_link` is one conditional statement,
//! run in the transaction of the change the link allows, so of any number of uses at the same
//! moment (SQLite or PostgreSQL) exactly one finds it open, and its change is the one made.

use crate::credentials::secret_box;
use sqlx::{AnyConnection, AnyPool, Row};

/// How long a link works: 30 minutes.
pub const LINK_SECONDS: i64 = 30 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// An open link, as its token finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub token_hash: String,
    pub user_id: i64,
    /// The address the link was sent to.
    pub email: String,
}

/// What a token finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Open(Link),
    /// Used before, or past its time.
    Spent,
    /// No such link (or one made for the other purpose).
    Unknown,
}

/// A new token (to put in the link) and its hash (to keep).
pub fn new_token() -> (String, String) {
    let token = secret_box::random_hex(32);
    let hash = hash_of(&token);
    (token, hash)
}

/// What is stored for a token.
pub fn hash_of(token: &str) -> String {
    secret_box::sha256_hex(token.as_bytes())
}

/// Keeps a link, on the connection of the caller's transaction (with the mail that carries it).
pub async fn create(
    conn: &mut AnyConnection,
    purpose: Purpose,
    token_hash: &str,
    user_id: i64,
    email: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO email_links (token_hash, purpose, user_id, email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(user_id)
    .bind(email)
    .bind(now)
    .bind(now + LINK_SECONDS)
    .execute(&mut *conn)
    .await
    .map(drop)
}

/// What `token` finds (nothing is changed: showing the page a link opens does not use it).
pub async fn find(db: &AnyPool, purpose: Purpose, token: &str, now: i64) -> Result<Lookup, sqlx::Error> {
    if token.len() > 128 {
        return Ok(Lookup::Unknown);
    }
    let token_hash = hash_of(token);
    let row = sqlx::query(
        "SELECT user_id, email, expires_at, used_at FROM email_links WHERE token_hash = $1 AND purpose = $2",
    )
    .bind(&token_hash)
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(Lookup::Unknown) };
    let used_at: Option<i64> = row.try_get("used_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    if used_at.is_some() || expires_at <= now {
        return Ok(Lookup::Spent);
    }
    Ok(Lookup::Open(Link { token_hash, user_id: row.try_get("user_id")?, email: row.try_get("email")? }))
}

/// Uses the link, in the caller's transaction: `true` for exactly one use of an open link.
pub async fn use_link(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE email_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(used == 1)
}

/// Voids the account's open links of one purpose (a newer link replaces them; a reset voids
/// the other reset links).
pub async fn void_all(conn: &mut AnyConnection, user_id: i64, purpose: Purpose, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE email_links SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Counts a password reset request against `subject` (an account or a client address) and says
/// whether it is within `per_hour`. Refused requests are not counted.
pub async fn allow_reset_request(db: &AnyPool, subject: &str, per_hour: u32, now: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM reset_requests WHERE at <= $1").bind(now - 3600).execute(db).await?;
    let recent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reset_requests WHERE subject = $1 AND at > $2")
        .bind(subject)
        .bind(now - 3600)
        .fetch_one(db)
        .await?;
    if recent >= i64::from(per_hour) {
        return Ok(false);
    }
    sqlx::query("INSERT INTO reset_requests (subject, at) VALUES ($1, $2)").bind(subject).bind(now).execute(db).await?;
    Ok(true)
}
