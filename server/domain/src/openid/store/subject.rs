//! The account's stable subject (`sub`): random, made on first use, never reused (not the
//! username, which a new account may take after a deletion, and not the row id, which tells
//! apps how many accounts came before).

use crate::{credentials::secret_box::random_hex, error::AuthError, services::Services};
use sqlx::AnyPool;

/// The account's `sub`: `known` when the caller has it (from the account's identity, kept in
/// memory on SQLite), else read, or made on first use (the identity is then forgotten, so the
/// next read sees it).
pub async fn of(services: &Services, user_id: i64, known: Option<&str>) -> Result<String, AuthError> {
    if let Some(subject) = known {
        return Ok(subject.to_owned());
    }
    let made = make(&services.db, user_id).await;
    services.identities.forget(user_id);
    made
}

async fn make(db: &AnyPool, user_id: i64) -> Result<String, AuthError> {
    let read = || async {
        sqlx::query_scalar::<_, Option<String>>("SELECT oidc_subject FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(db)
            .await
    };
    if let Some(subject) = read().await? {
        return Ok(subject);
    }
    sqlx::query("UPDATE users SET oidc_subject = $2 WHERE id = $1 AND oidc_subject IS NULL")
        .bind(user_id)
        .bind(random_hex(16))
        .execute(db)
        .await?;
    read().await?.ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("no subject for account {user_id}")))
}
