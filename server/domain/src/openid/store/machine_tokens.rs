//! A machine client's access tokens (the `client_credentials` grant), kept as SHA-256 hashes
//! apart from people's (`grants`): their subject is the client, not an account, so nothing that
//! reads people's tokens (userinfo, an account's apps, its revocation) ever takes one.

use crate::{credentials::secret_box::sha256_hex, error::AuthError};
use sqlx::AnyPool;

/// A token's SHA-256, as `grants` keeps people's (that module deletes these too when they expire:
/// it is not imported here).
fn hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A machine client's subject, as a resource server would be told it: `client:` and the client
/// id. A person's `sub` is hexadecimal (`subject`), so the two never collide.
pub fn subject_of(client_id: &str) -> String {
    format!("client:{client_id}")
}

/// The token to store, with the registration the request authenticated against.
pub struct NewMachineToken<'a> {
    pub access_token: &'a str,
    pub client_id: &'a str,
    /// When the client was registered, and its secret's hash, as the request found them.
    pub client_registered_at: i64,
    pub client_secret_hash: &'a str,
    /// The granted scopes, space-separated.
    pub scope: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Stores the token, only while the client is still the registration the request authenticated
/// against (not deleted, registered again, or given a new secret since). `false`: nothing stored.
pub async fn store(db: &AnyPool, token: &NewMachineToken<'_>) -> Result<bool, AuthError> {
    let inserted = sqlx::query(
        "INSERT INTO oidc_client_tokens (token_hash, client_id, scope, issued_at, expires_at)
         SELECT $1, c.client_id, $2, $3, $4 FROM oidc_clients c
         WHERE c.client_id = $5 AND c.created_at = $6 AND c.secret_hash = $7",
    )
    .bind(hash(token.access_token))
    .bind(token.scope)
    .bind(token.issued_at)
    .bind(token.expires_at)
    .bind(token.client_id)
    .bind(token.client_registered_at)
    .bind(token.client_secret_hash)
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A live machine token: its client, scope, and when it was issued and expires.
pub struct MachineToken {
    pub client_id: String,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The live machine token `token` is, if it is one (introspection).
pub async fn find(db: &AnyPool, token: &str, now: i64) -> Result<Option<MachineToken>, AuthError> {
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT client_id, scope, issued_at, expires_at FROM oidc_client_tokens WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(hash(token))
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(client_id, scope, issued_at, expires_at)| MachineToken { client_id, scope, issued_at, expires_at }))
}

/// Deletes the tokens whose time is up; returns how many went.
pub async fn delete_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM oidc_client_tokens WHERE expires_at <= $1").bind(now).execute(db).await?;
    Ok(deleted.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_machine_subject_never_looks_like_a_persons() {
        let person = crate::credentials::secret_box::random_hex(16);
        assert!(person.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(subject_of("backup"), "client:backup");
        assert!(!subject_of("backup").bytes().all(|b| b.is_ascii_hexdigit()), "a colon is not hexadecimal");
    }
}
