//! Tokens, kept as SHA-256 hashes of their values (a copy of the database opens nothing), and
//! the single use of codes. What one code led to is a grant: its tokens carry the grant's id, so
//! a second use of the code, or of a rotated refresh token, revokes the lot.
//!
//! Codes themselves are sealed, not stored (`codes`). A code's exchange is one statement
//! (`exchange_writer::exchange`): it inserts the access token with the code's hash in a unique column, only
//! while the client is still the registration the request was authenticated against and the
//! account is still at the session epoch and `sub` the code carries, and it returns the key that
//! signs now. Of two exchanges of one code, exactly one inserts its row.

use super::access_cache::AccessCache;
use crate::openid::codes::Code;
use crate::{
    credentials::secret_box::{random_hex, sha256_hex},
    error::AuthError,
};
use sqlx::{any::AnyRow, AnyPool, Row};

pub use crate::openid::grant::Grant;

pub fn hash(value: &str) -> String {
    sha256_hex(value.as_bytes())
}

fn grant_from(row: &AnyRow) -> Result<Grant, sqlx::Error> {
    Ok(Grant {
        grant_id: row.try_get("grant_id")?,
        client_id: row.try_get("client_id")?,
        user_id: row.try_get("user_id")?,
        scope: row.try_get("scope")?,
        auth_time: row.try_get("auth_time")?,
        amr: row.try_get("amr")?,
    })
}

pub(super) async fn was_used(db: &AnyPool, code_hash: &str) -> Result<bool, sqlx::Error> {
    let used: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM oidc_tokens WHERE from_code = $1").bind(code_hash).fetch_optional(db).await?;
    Ok(used.is_some())
}

/// Spends a code a request failed to exchange (a wrong verifier, say): single use, whatever the
/// outcome. `true` when it had been used before (its grant is then to be revoked).
pub async fn spend(db: &AnyPool, code: &Code, code_hash: &str) -> Result<bool, AuthError> {
    let spent = sqlx::query(
        "INSERT INTO oidc_tokens (token_hash, kind, grant_id, client_id, user_id, scope, auth_time, amr, expires_at, from_code)
         SELECT $1, 'revoked', $2, c.client_id, u.id, '', 0, '', $3, $4
         FROM oidc_clients c, users u WHERE c.client_id = $5 AND u.id = $6
         ON CONFLICT (from_code) DO NOTHING",
    )
    .bind(hash(&random_hex(32)))
    .bind(&code.grant.grant_id)
    .bind(code.expires_at)
    .bind(code_hash)
    .bind(&code.grant.client_id)
    .bind(code.grant.user_id)
    .execute(db)
    .await?;
    Ok(spent.rows_affected() == 0 && was_used(db, code_hash).await?)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

pub async fn store_token_hash<'c, E>(
    db: E,
    token_hash: &str,
    kind: TokenKind,
    grant: &Grant,
    expires_at: i64,
) -> Result<(), AuthError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO oidc_tokens (token_hash, kind, grant_id, client_id, user_id, scope, auth_time, amr, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token_hash)
    .bind(kind.as_str())
    .bind(&grant.grant_id)
    .bind(&grant.client_id)
    .bind(grant.user_id)
    .bind(&grant.scope)
    .bind(grant.auth_time)
    .bind(&grant.amr)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

const GRANT_COLUMNS: &str = "grant_id, client_id, user_id, scope, auth_time, amr";

/// The grant of a live access token, and when the token expires.
pub async fn access(db: &AnyPool, token: &str, now: i64) -> Result<Option<(Grant, i64)>, AuthError> {
    let row = sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS}, expires_at FROM oidc_tokens WHERE token_hash = $1 AND kind = 'access' AND expires_at > $2"
    ))
    .bind(hash(token))
    .bind(now)
    .fetch_optional(db)
    .await?;
    row.map(|row| Ok((grant_from(&row)?, row.try_get("expires_at")?))).transpose().map_err(|e: sqlx::Error| e.into())
}

pub enum Refreshed {
    /// The token was used, and the new ones are stored.
    Rotated(Grant),
    /// The token is another client's: it was not touched, and still works for its own client.
    OtherClient,
    /// A refresh token used before: its grant is to be revoked.
    Reused {
        grant_id: String,
    },
    Unknown,
}

/// What a refresh stores in place of the token it uses.
pub struct Rotation<'a> {
    /// The client that presented the token: only the one the token was issued to may use it.
    pub client_id: &'a str,
    pub access_token: &'a str,
    pub access_expires_at: i64,
    pub refresh_token: &'a str,
    pub refresh_expires_at: i64,
}

/// Uses a refresh token, once, and stores what replaces it, in one transaction. A revocation (of
/// the account, or of the family after a reuse) then comes wholly before the use, which finds
/// nothing, or after the new tokens, which it takes too: never between the two, where the new
/// tokens would outlive it. Only the client the token was issued to uses it up (the statement
/// that uses it names the client): another client's request changes nothing, so it can neither
/// spend the token nor, with a used one, revoke its family.
pub async fn rotate_refresh(
    db: &AnyPool,
    token: &str,
    now: i64,
    rotation: &Rotation<'_>,
) -> Result<Refreshed, AuthError> {
    let token_hash = hash(token);
    let mut tx = db.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE oidc_tokens SET used_at = $2
         WHERE token_hash = $1 AND kind = 'refresh' AND client_id = $3 AND used_at IS NULL AND expires_at > $2
         RETURNING {GRANT_COLUMNS}"
    ))
    .bind(&token_hash)
    .bind(now)
    .bind(rotation.client_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        let found = sqlx::query(
            "SELECT grant_id, client_id, used_at FROM oidc_tokens WHERE token_hash = $1 AND kind = 'refresh'",
        )
        .bind(&token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        tx.rollback().await?;
        let Some(found) = found else { return Ok(Refreshed::Unknown) };
        if found.try_get::<String, _>("client_id")? != rotation.client_id {
            return Ok(Refreshed::OtherClient);
        }
        return Ok(match found.try_get::<Option<i64>, _>("used_at")? {
            Some(_) => Refreshed::Reused { grant_id: found.try_get("grant_id")? },
            None => Refreshed::Unknown,
        });
    };
    let grant = grant_from(&row)?;
    let access = hash(rotation.access_token);
    store_token_hash(&mut *tx, &access, TokenKind::Access, &grant, rotation.access_expires_at).await?;
    let refresh = hash(rotation.refresh_token);
    store_token_hash(&mut *tx, &refresh, TokenKind::Refresh, &grant, rotation.refresh_expires_at).await?;
    tx.commit().await?;
    Ok(Refreshed::Rotated(grant))
}

/// Deletes the tokens whose time is up, and with them the records of codes used (a code's
/// record lasts as long as the access token it was exchanged for, far past the code's minute),
/// and machine clients' tokens (`machine_tokens`). Returns how many went.
pub async fn delete_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM oidc_tokens WHERE expires_at <= $1").bind(now).execute(db).await?;
    Ok(deleted.rows_affected() + super::machine_tokens::delete_expired(db, now).await?)
}

/// Revokes every token of a grant. The row that records the code's use stays (kind
/// `revoked`), so the code cannot be exchanged again.
pub async fn revoke_grant(db: &AnyPool, access: &AccessCache, grant_id: &str) -> Result<(), AuthError> {
    for statement in [
        "DELETE FROM oidc_tokens WHERE grant_id = $1 AND from_code IS NULL",
        "UPDATE oidc_tokens SET kind = 'revoked' WHERE grant_id = $1",
    ] {
        sqlx::query(statement).bind(grant_id).execute(db).await?;
    }
    access.forget_grant(grant_id);
    Ok(())
}

/// Revokes every token of an account (its sessions ended, 2FA turned off, an operator reset or
/// delete). Its codes not yet used die with the session epoch these all move (`codes`).
pub async fn revoke_account<'c, E>(db: E, access: &AccessCache, user_id: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any> + Copy,
{
    for statement in REVOKE_ACCOUNT {
        sqlx::query(statement).bind(user_id).execute(db).await?;
    }
    access.forget_account(user_id);
    Ok(())
}

/// Revokes every token one app holds for one account (its owner removed the app's access), as
/// `revoke_account` does for every app, in one transaction. Returns whether any of them was
/// live (`apps_of` listed the app).
pub async fn revoke_app_of_account(
    db: &AnyPool,
    access: &AccessCache,
    user_id: i64,
    client_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    // An access token exchanged for a code keeps the code's hash (`from_code`): it stays, as
    // `revoked`, so the code cannot be exchanged again. (The first statement writes: SQLite takes
    // the write lock at once.)
    let recorded: Vec<i64> = sqlx::query_scalar(
        "UPDATE oidc_tokens SET kind = 'revoked'
         WHERE user_id = $1 AND client_id = $2 AND from_code IS NOT NULL AND kind = 'access'
         RETURNING expires_at",
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_all(&mut *tx)
    .await?;
    let deleted = sqlx::query(
        "DELETE FROM oidc_tokens WHERE user_id = $1 AND client_id = $2 AND from_code IS NULL
         RETURNING kind, expires_at, used_at",
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    access.forget_app_of_account(client_id, user_id);
    let mut live = recorded.iter().any(|expires_at| *expires_at > now);
    for row in &deleted {
        let kind: String = row.try_get("kind")?;
        let unused = row.try_get::<Option<i64>, _>("used_at")?.is_none();
        live |= row.try_get::<i64, _>("expires_at")? > now && (kind == "access" || (kind == "refresh" && unused));
    }
    Ok(live)
}

/// One app holding live tokens for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppHolding {
    pub client_id: String,
    /// The name the operator registered it under.
    pub name: String,
    /// The latest sign-in its tokens came from (Unix seconds).
    pub last_sign_in: i64,
    /// When its last live token expires (a refresh token's 30 days, say).
    pub until: i64,
}

/// The apps with live tokens for the account (`$1`) at `$2`: an access token not expired, or a
/// refresh token not expired and not used.
const APPS: &str = "SELECT c.client_id, c.name, MAX(t.auth_time) AS last_sign_in, MAX(t.expires_at) AS until
    FROM oidc_tokens t JOIN oidc_clients c ON c.client_id = t.client_id
    WHERE t.user_id = $1 AND t.expires_at > $2
      AND (t.kind = 'access' OR (t.kind = 'refresh' AND t.used_at IS NULL))";

fn holding_from(row: &AnyRow) -> Result<AppHolding, sqlx::Error> {
    Ok(AppHolding {
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        last_sign_in: row.try_get("last_sign_in")?,
        until: row.try_get("until")?,
    })
}

/// The apps holding live tokens for the account at `now`, by name; at most `limit`.
pub async fn apps_of(db: &AnyPool, user_id: i64, now: i64, limit: i64) -> Result<Vec<AppHolding>, sqlx::Error> {
    let rows = sqlx::query(&format!("{APPS} GROUP BY c.client_id, c.name ORDER BY c.name, c.client_id LIMIT $3"))
        .bind(user_id)
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(holding_from).collect()
}

/// `client_id`, when it holds live tokens for the account at `now`.
pub async fn app_of(db: &AnyPool, user_id: i64, client_id: &str, now: i64) -> Result<Option<AppHolding>, sqlx::Error> {
    let row = sqlx::query(&format!("{APPS} AND c.client_id = $3 GROUP BY c.client_id, c.name"))
        .bind(user_id)
        .bind(now)
        .bind(client_id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(holding_from).transpose()
}

/// The statements of `revoke_account` (also run inside other transactions).
pub const REVOKE_ACCOUNT: [&str; 2] = [
    "DELETE FROM oidc_tokens WHERE user_id = $1 AND from_code IS NULL",
    "UPDATE oidc_tokens SET kind = 'revoked' WHERE user_id = $1",
];
