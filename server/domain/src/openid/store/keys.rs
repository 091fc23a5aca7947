//! The signing keys, in the database and sealed like the TOTP keys, so every instance signs with
//! the same key. The newest signs; every key is published (a token signed before a rotation
//! still verifies).

use super::opened_keys::context;
use crate::openid::signing_key::SigningKey;
use crate::{credentials::secret_box::SecretBox, error::AuthError, services::Services};
use sqlx::AnyPool;
use std::sync::Arc;

/// Adds a new key (the one that signs from now on); returns its key id.
pub async fn add(db: &AnyPool, secret_box: &SecretBox, now: i64) -> Result<String, AuthError> {
    let key = SigningKey::generate()?;
    let sealed = secret_box
        .seal(&key.to_der()?, &context(&key.kid))
        .map_err(|_| AuthError::Unexpected(anyhow::anyhow!("cannot seal the signing key")))?;
    // The newest signs: a key added in the same second as the last one (a rotation right after
    // the first start) still comes after it.
    let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(created_at) FROM oidc_signing_keys").fetch_one(db).await?;
    let created_at = newest.map_or(now, |newest| now.max(newest + 1));
    sqlx::query("INSERT INTO oidc_signing_keys (kid, sealed_key, created_at) VALUES ($1, $2, $3)")
        .bind(&key.kid)
        .bind(sealed)
        .bind(created_at)
        .execute(db)
        .await?;
    Ok(key.kid)
}

/// Makes the first key when there is none (at start-up).
pub async fn ensure_one(db: &AnyPool, secret_box: &SecretBox, now: i64) -> Result<(), AuthError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_signing_keys").fetch_one(db).await?;
    if count == 0 {
        add(db, secret_box, now).await?;
    }
    Ok(())
}

const NEWEST_FIRST: &str = "SELECT kid, sealed_key FROM oidc_signing_keys ORDER BY created_at DESC, kid DESC";

/// Every key, newest first.
pub async fn all(services: &Services) -> Result<Vec<Arc<SigningKey>>, AuthError> {
    let rows = sqlx::query(NEWEST_FIRST).fetch_all(&services.db).await?;
    rows.iter().map(|row| services.signing_keys.open(row, &services.secret_box)).collect()
}

/// A key by its id (opened once per process; see `OpenedKeys`).
pub async fn by_kid(services: &Services, kid: &str) -> Result<Arc<SigningKey>, AuthError> {
    if let Some(key) = services.signing_keys.get(kid) {
        return Ok(key);
    }
    let row = sqlx::query("SELECT kid, sealed_key FROM oidc_signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_optional(&services.db)
        .await?
        .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("there is no signing key {kid}")))?;
    services.signing_keys.open(&row, &services.secret_box)
}

/// A key of ours by its id; `None` when there is none such (a token signed elsewhere).
pub async fn find(services: &Services, kid: &str) -> Result<Option<Arc<SigningKey>>, AuthError> {
    if let Some(key) = services.signing_keys.get(kid) {
        return Ok(Some(key));
    }
    let row = sqlx::query("SELECT kid, sealed_key FROM oidc_signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_optional(&services.db)
        .await?;
    row.map(|row| services.signing_keys.open(&row, &services.secret_box)).transpose()
}

pub use crate::openid::signing_key::CURRENT_KID;
