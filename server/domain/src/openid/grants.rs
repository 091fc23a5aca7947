//! Codes and tokens, kept as SHA-256 hashes of their values (a copy of the database opens
//! nothing). What one code led to is a grant: its tokens carry the grant's id, so a second use of
//! the code, or of a rotated refresh token, revokes the lot. Single use is one conditional
//! `UPDATE … RETURNING`: of two requests at once, one gets the row.

use crate::{credentials::secret_box::sha256_hex, error::AuthError};
use sqlx::{any::AnyRow, AnyPool, Row};

pub use super::grant::Grant;

/// A code's binding besides the grant.
#[derive(Clone, Debug)]
pub struct CodeBinding {
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
}

pub fn hash(value: &str) -> String {
    sha256_hex(value.as_bytes())
}

pub async fn store_code(
    db: &AnyPool,
    code: &str,
    grant: &Grant,
    binding: &CodeBinding,
    expires_at: i64,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO oidc_codes (code_hash, grant_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(hash(code))
    .bind(&grant.grant_id)
    .bind(&grant.client_id)
    .bind(grant.user_id)
    .bind(&binding.redirect_uri)
    .bind(&grant.scope)
    .bind(binding.nonce.clone())
    .bind(binding.code_challenge.clone())
    .bind(grant.auth_time)
    .bind(&grant.amr)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
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

pub enum Redeemed {
    /// First use: the grant, its binding, and when the code expired (checked by the caller).
    Fresh {
        grant: Grant,
        binding: CodeBinding,
        expires_at: i64,
    },
    /// A second use: the grant it had issued.
    AlreadyUsed {
        grant_id: String,
    },
    Unknown,
}

/// Marks a code used, once.
pub async fn redeem_code(db: &AnyPool, code: &str, now: i64) -> Result<Redeemed, AuthError> {
    let code_hash = hash(code);
    let row = sqlx::query(
        "UPDATE oidc_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL
         RETURNING grant_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, expires_at",
    )
    .bind(&code_hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    if let Some(row) = row {
        let binding = CodeBinding {
            redirect_uri: row.try_get("redirect_uri")?,
            nonce: row.try_get("nonce")?,
            code_challenge: row.try_get("code_challenge")?,
        };
        return Ok(Redeemed::Fresh { grant: grant_from(&row)?, binding, expires_at: row.try_get("expires_at")? });
    }
    let used: Option<String> = sqlx::query_scalar("SELECT grant_id FROM oidc_codes WHERE code_hash = $1")
        .bind(&code_hash)
        .fetch_optional(db)
        .await?;
    Ok(used.map_or(Redeemed::Unknown, |grant_id| Redeemed::AlreadyUsed { grant_id }))
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

pub async fn store_token(
    db: &AnyPool,
    token: &str,
    kind: TokenKind,
    grant: &Grant,
    expires_at: i64,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO oidc_tokens (token_hash, kind, grant_id, client_id, user_id, scope, auth_time, amr, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(hash(token))
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
    Fresh(Grant),
    /// A refresh token used before: its grant is to be revoked.
    Reused {
        grant_id: String,
    },
    Unknown,
}

/// Uses a refresh token, once.
pub async fn use_refresh(db: &AnyPool, token: &str, now: i64) -> Result<Refreshed, AuthError> {
    let token_hash = hash(token);
    let row = sqlx::query(&format!(
        "UPDATE oidc_tokens SET used_at = $2 WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NULL AND expires_at > $2
         RETURNING {GRANT_COLUMNS}"
    ))
    .bind(&token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    if let Some(row) = row {
        return Ok(Refreshed::Fresh(grant_from(&row)?));
    }
    let used: Option<String> = sqlx::query_scalar(
        "SELECT grant_id FROM oidc_tokens WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NOT NULL",
    )
    .bind(&token_hash)
    .fetch_optional(db)
    .await?;
    Ok(used.map_or(Refreshed::Unknown, |grant_id| Refreshed::Reused { grant_id }))
}

/// Revokes every token of a grant.
pub async fn revoke_grant(db: &AnyPool, grant_id: &str) -> Result<(), AuthError> {
    sqlx::query("DELETE FROM oidc_tokens WHERE grant_id = $1").bind(grant_id).execute(db).await?;
    let grant_id = grant_id.to_owned();
    super::access_cache::forget(move |entry| entry.grant.grant_id == grant_id);
    Ok(())
}

/// Revokes every token and unused code of an account (its sessions ended, 2FA turned off, an
/// operator reset or delete).
pub async fn revoke_account<'c, E>(db: E, user_id: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any> + Copy,
{
    for statement in REVOKE_ACCOUNT {
        sqlx::query(statement).bind(user_id).execute(db).await?;
    }
    super::access_cache::forget(move |entry| entry.grant.user_id == user_id);
    Ok(())
}

/// The statements of `revoke_account` (also run inside other transactions).
pub const REVOKE_ACCOUNT: [&str; 2] = [
    "DELETE FROM oidc_tokens WHERE user_id = $1",
    "UPDATE oidc_codes SET used_at = expires_at WHERE user_id = $1 AND used_at IS NULL",
];
