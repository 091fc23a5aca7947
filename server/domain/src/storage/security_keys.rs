//! An account's security keys and the WebAuthn ceremonies in progress. A key is kept as the
//! `webauthn-rs` credential (its id, public key and signature counter: nothing secret). A
//! ceremony's state waits here between its two requests, so any instance can finish it; the
//! answer takes it out with one `DELETE … RETURNING`, so it is used once.

use super::accounts::store_recovery_codes;
use crate::credentials::recovery_codes::StoredCode;
use sqlx::{AnyPool, Row};
use webauthn_rs::prelude::{SecurityKey, Uuid};

/// A key as the account page and the sign-in see it.
pub struct StoredKey {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub credential: SecurityKey,
    /// `credential` as the database holds it: a use writes its new counter only over this.
    pub stored_credential: String,
    /// A passkey: a discoverable credential made with user verification, which signs in alone.
    pub passkey: bool,
}

fn decode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(format!("a stored security key: {e}").into())
}

fn encode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Encode(e.into())
}

/// The account's keys, oldest first.
pub async fn list(db: &AnyPool, account_id: i64) -> Result<Vec<StoredKey>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at, credential, passkey FROM security_keys WHERE user_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(stored_key).collect()
}

fn stored_key(row: &sqlx::any::AnyRow) -> Result<StoredKey, sqlx::Error> {
    let stored_credential: String = row.try_get("credential")?;
    Ok(StoredKey {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        credential: serde_json::from_str(&stored_credential).map_err(decode)?,
        stored_credential,
        passkey: super::accounts::bool_column(row, "passkey")?,
    })
}

/// The passkey a passkey sign-in's answer names: by the account's user handle and the
/// credential's id (base64url), and only a key made as a passkey. Returns the account's id too.
pub async fn find_passkey(
    db: &AnyPool,
    user_handle: &str,
    credential_id: &[u8],
) -> Result<Option<(i64, StoredKey)>, sqlx::Error> {
    let credential_id = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, credential_id);
    let row = sqlx::query(
        "SELECT k.id, k.user_id, k.name, k.created_at, k.last_used_at, k.credential, k.passkey
         FROM security_keys k JOIN users u ON u.id = k.user_id
         WHERE u.webauthn_handle = $1 AND k.credential_id = $2 AND k.passkey = 1",
    )
    .bind(user_handle)
    .bind(credential_id)
    .fetch_optional(db)
    .await?;
    row.map(|row| Ok((row.try_get("user_id")?, stored_key(&row)?))).transpose()
}

/// Keeps a passkey sign-in's challenge until its answer (replacing one this session began),
/// sweeping out the expired.
pub async fn begin_passkey_sign_in(
    db: &AnyPool,
    ceremony_hash: &str,
    state: &impl serde::Serialize,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let state = serde_json::to_string(state).map_err(encode)?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM passkey_sign_ins WHERE ceremony_hash = $1 OR expires_at <= $2")
        .bind(ceremony_hash)
        .bind(expires_at - crate::credentials::security_key::CEREMONY_SECONDS)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO passkey_sign_ins (ceremony_hash, state, expires_at) VALUES ($1, $2, $3)")
        .bind(ceremony_hash)
        .bind(state)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Takes a passkey sign-in's challenge out (once), if not expired.
pub async fn take_passkey_sign_in<S: serde::de::DeserializeOwned>(
    db: &AnyPool,
    ceremony_hash: &str,
    now: i64,
) -> Result<Option<S>, sqlx::Error> {
    let row = sqlx::query("DELETE FROM passkey_sign_ins WHERE ceremony_hash = $1 RETURNING state, expires_at")
        .bind(ceremony_hash)
        .fetch_optional(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Ok(None);
    }
    Ok(Some(serde_json::from_str(&row.try_get::<String, _>("state")?).map_err(decode)?))
}

/// The account's WebAuthn user handle, made on first use (random, never the row id).
pub async fn user_handle(db: &AnyPool, account_id: i64) -> Result<Uuid, sqlx::Error> {
    let made = Uuid::new_v4().to_string();
    sqlx::query("UPDATE users SET webauthn_handle = $1 WHERE id = $2 AND webauthn_handle IS NULL")
        .bind(&made)
        .bind(account_id)
        .execute(db)
        .await?;
    let handle: String =
        sqlx::query_scalar("SELECT webauthn_handle FROM users WHERE id = $1").bind(account_id).fetch_one(db).await?;
    Uuid::parse_str(&handle).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// What adding a key did.
pub enum Added {
    /// Another key for an account with 2FA on.
    Key,
    /// The account's first second factor: 2FA is on, with these recovery codes, and the
    /// account's other sessions end (the new session epoch).
    TurnedTwoFactorOn { epoch: i64 },
    /// That key is registered already (to this account or another).
    Duplicate,
    /// The caller's session was ended meanwhile, or 2FA changed under it.
    Lost,
}

/// Adds a key. With `recovery` (2FA was off when the ceremony began): in the same transaction,
/// 2FA turns on with these recovery codes, conditional on the caller's epoch and on 2FA still
/// being off, as confirming an app does.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    db: &AnyPool,
    account_id: i64,
    name: &str,
    credential: &SecurityKey,
    passkey: bool,
    recovery: Option<(&[StoredCode], i64)>,
    now: i64,
) -> Result<Added, sqlx::Error> {
    let credential_id: &[u8] = credential.cred_id();
    let credential_id = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, credential_id);
    let mut tx = db.begin().await?;
    let mut epoch = None;
    if let Some((_, caller_epoch)) = recovery {
        // Writes first, so SQLite takes the write lock at once.
        let raised = sqlx::query(
            "UPDATE users SET session_epoch = session_epoch + 1
             WHERE id = $1 AND session_epoch = $2 AND totp_secret IS NULL
               AND NOT EXISTS (SELECT 1 FROM security_keys WHERE user_id = $1)
             RETURNING session_epoch",
        )
        .bind(account_id)
        .bind(caller_epoch)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = raised else {
            tx.rollback().await?;
            return Ok(Added::Lost);
        };
        epoch = Some(row.try_get::<i64, _>("session_epoch")?);
    }
    let inserted = sqlx::query(
        "INSERT INTO security_keys (user_id, name, credential_id, credential, created_at, passkey)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(name)
    .bind(credential_id)
    .bind(serde_json::to_string(credential).map_err(encode)?)
    .bind(now)
    .bind(i64::from(passkey))
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            return Ok(Added::Duplicate);
        }
        Err(e) => return Err(e),
    }
    if let Some((codes, _)) = recovery {
        store_recovery_codes(&mut tx, account_id, codes).await?;
    }
    tx.commit().await?;
    Ok(epoch.map_or(Added::Key, |epoch| Added::TurnedTwoFactorOn { epoch }))
}

/// What removing a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    /// The key is gone, and the account still has a second factor (its app or another key).
    Key,
    /// The account has no such key.
    NoSuchKey,
    /// The key is the account's last second factor: it is still there (removing it is turning
    /// 2FA off, which takes the password and a code).
    LastFactor,
}

/// Removes one of the account's keys, only while a second factor remains after it: of two
/// removals racing for an account's last two keys, one removes its key and the other finds
/// `LastFactor`. The condition and the deletion are one statement; on PostgreSQL, whose
/// statements each see the rows committed when they start, the account's row is locked first,
/// so a removal waits for one under way and then sees its result (SQLite has one writer at a
/// time: the order is given).
pub async fn remove_unless_last(db: &AnyPool, account_id: i64, key_id: i64) -> Result<Removed, sqlx::Error> {
    let mut tx = db.begin().await?;
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(account_id).fetch_optional(&mut *tx).await?;
    }
    let removed = sqlx::query(
        "DELETE FROM security_keys WHERE id = $1 AND user_id = $2
           AND (EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.totp_secret IS NOT NULL)
                OR EXISTS (SELECT 1 FROM security_keys k WHERE k.user_id = $2 AND k.id <> $1))",
    )
    .bind(key_id)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    let outcome = if removed.rows_affected() == 1 {
        Removed::Key
    } else {
        let kept = sqlx::query("SELECT 1 FROM security_keys WHERE id = $1 AND user_id = $2")
            .bind(key_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        if kept.is_some() {
            Removed::LastFactor
        } else {
            Removed::NoSuchKey
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// After a key signed in: its new counter, and when. Written only over the credential as it was
/// read (`read`): of two uses checked against the same stored counter, one writes and the other
/// finds it changed (`false`: that use is refused).
pub async fn record_use(db: &AnyPool, read: &StoredKey, updated: &SecurityKey, now: i64) -> Result<bool, sqlx::Error> {
    let written =
        sqlx::query("UPDATE security_keys SET credential = $1, last_used_at = $2 WHERE id = $3 AND credential = $4")
            .bind(serde_json::to_string(updated).map_err(encode)?)
            .bind(now)
            .bind(read.id)
            .bind(&read.stored_credential)
            .execute(db)
            .await?;
    Ok(written.rows_affected() == 1)
}

/// What a ceremony is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Purpose {
    AddKey,
    AddPasskey,
    SignIn,
    Reauthenticate,
    /// A passkey sign-in (its challenge is kept in `passkey_sign_ins`).
    PasskeySignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::AddKey => "add_key",
            Purpose::AddPasskey => "add_passkey",
            Purpose::PasskeySignIn => "passkey_sign_in",
            Purpose::SignIn => "sign_in",
            Purpose::Reauthenticate => "reauthenticate",
        }
    }
}

/// Keeps a ceremony's state until its answer (replacing one this session began for the same
/// purpose: only the newest challenge is answerable). Ceremonies never answered are swept out
/// here once expired, so the table holds only the last 5 minutes' worth.
pub async fn begin_ceremony(
    db: &AnyPool,
    ceremony_hash: &str,
    account_id: i64,
    purpose: Purpose,
    key_name: Option<&str>,
    state: &impl serde::Serialize,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let state = serde_json::to_string(state).map_err(encode)?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM webauthn_ceremonies WHERE ceremony_hash = $1 OR expires_at <= $2")
        .bind(ceremony_hash)
        .bind(expires_at - crate::credentials::security_key::CEREMONY_SECONDS)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO webauthn_ceremonies (ceremony_hash, user_id, purpose, key_name, state, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ceremony_hash)
    .bind(account_id)
    .bind(purpose.as_str())
    .bind(key_name)
    .bind(state)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Takes the ceremony out (once: a second answer finds nothing), if it is this account's, for
/// this purpose and not expired. Returns its key name and state.
pub async fn take_ceremony<S: serde::de::DeserializeOwned>(
    db: &AnyPool,
    ceremony_hash: &str,
    account_id: i64,
    purpose: Purpose,
    now: i64,
) -> Result<Option<(Option<String>, S)>, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM webauthn_ceremonies WHERE ceremony_hash = $1 RETURNING user_id, purpose, key_name, state, expires_at",
    )
    .bind(ceremony_hash)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let fits = row.try_get::<i64, _>("user_id")? == account_id
        && row.try_get::<String, _>("purpose")? == purpose.as_str()
        && row.try_get::<i64, _>("expires_at")? > now;
    if !fits {
        return Ok(None);
    }
    let state = serde_json::from_str(&row.try_get::<String, _>("state")?).map_err(decode)?;
    Ok(Some((row.try_get("key_name")?, state)))
}
