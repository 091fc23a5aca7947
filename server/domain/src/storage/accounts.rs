//! Accounts in the database: the `users` row with its second factor, and its recovery codes,
//! including what the operator's commands change.
//!
//! One piece (over 350 lines): every statement on the `users` row and its recovery codes, the
//! operator's included, so a change to those columns is made, and reviewed, in one file.

use crate::openid::store::access_cache::AccessCache;
use crate::{
    credentials::{
        otp::OtpSecret,
        otp_params::{OtpKind, OtpParams},
        recovery_codes::{self, RecoveryCodeKey, StoredCode},
        secret_box::{otp_secret_context, SecretBox},
    },
    input::Username,
};
use sqlx::{AnyPool, Row};

/// An account as the server sees it. Not `Serialize`: it carries the password hash and the key.
pub struct Account {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub otp_secret: Option<OtpSecret>,
    /// Sessions made in an older epoch are over (see `auth_session`).
    pub session_epoch: i64,
    /// The parameters of the confirmed credential.
    pub otp: OtpParams,
    /// HOTP: the next counter value expected, and one waiting for resynchronisation.
    pub hotp_counter: u64,
    pub hotp_resync_counter: Option<u64>,
    /// How many security keys the account has (each a second factor of its own).
    pub security_keys: i64,
    /// Disabled by an operator: no sign-in succeeds (the same answer as a wrong password).
    pub disabled: bool,
}

impl Account {
    /// An app's key or a security key: either is a second factor.
    pub fn two_factor_on(&self) -> bool {
        self.otp_secret.is_some() || self.security_keys > 0
    }
}

/// SQL: whether the `users` row has a second factor (an app's key or a security key).
pub const TWO_FACTOR_SQL: &str =
    "(totp_secret IS NOT NULL OR EXISTS (SELECT 1 FROM security_keys k WHERE k.user_id = users.id))";

fn account_from_row(row: sqlx::any::AnyRow, secret_box: &SecretBox) -> Result<Account, sqlx::Error> {
    let id: i64 = row.try_get("id")?;
    let otp_secret = match row.try_get::<Option<Vec<u8>>, _>("totp_secret")? {
        None => None,
        Some(sealed) => Some(OtpSecret::from_bytes(
            secret_box
                .open(&sealed, &otp_secret_context(id))
                .map_err(|e| sqlx::Error::Decode(format!("the TOTP key of account {id}: {e}").into()))?,
        )),
    };
    Ok(Account {
        id,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        otp_secret,
        session_epoch: row.try_get("session_epoch")?,
        otp: params_from_row(&row)?,
        hotp_counter: row.try_get::<Option<i64>, _>("hotp_counter")?.unwrap_or(0).max(0) as u64,
        hotp_resync_counter: row.try_get::<Option<i64>, _>("hotp_resync_counter")?.map(|c| c.max(0) as u64),
        security_keys: row.try_get("security_keys")?,
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}

/// The `otp_*` columns of a row (of `users` or `totp_enrollments`).
pub fn params_from_row(row: &sqlx::any::AnyRow) -> Result<OtpParams, sqlx::Error> {
    Ok(OtpParams::from_columns(
        &row.try_get::<String, _>("otp_kind")?,
        &row.try_get::<String, _>("otp_algorithm")?,
        row.try_get("otp_digits")?,
        row.try_get("otp_period")?,
        row.try_get("otp_window")?,
    ))
}

/// Binds the `otp_*` columns of a credential (of `users` or `totp_enrollments`), in the order
/// `otp_kind, otp_algorithm, otp_digits, otp_period, otp_window`: the other half of
/// `params_from_row`.
pub fn bind_params<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    params: &OtpParams,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(params.kind_name())
        .bind(params.algorithm_name())
        .bind(params.digits as i64)
        .bind(params.period as i64)
        .bind(params.window as i64)
}

/// A key as it is stored: sealed with the account's id as associated data.
pub fn sealed_key(secret_box: &SecretBox, account_id: i64, secret: &OtpSecret) -> Result<Vec<u8>, sqlx::Error> {
    secret_box.seal(secret.as_bytes(), &otp_secret_context(account_id)).map_err(|e| sqlx::Error::Encode(e.into()))
}

const SELECT_ACCOUNT: &str = "SELECT id, username, password_hash, totp_secret, session_epoch,
    otp_kind, otp_algorithm, otp_digits, otp_period, otp_window, hotp_counter, hotp_resync_counter,
    disabled_at, (SELECT COUNT(*) FROM security_keys k WHERE k.user_id = users.id) AS security_keys FROM users";

pub async fn find_by_username(
    db: &AnyPool,
    secret_box: &SecretBox,
    name: &Username,
) -> Result<Option<Account>, sqlx::Error> {
    sqlx::query(&format!("{SELECT_ACCOUNT} WHERE username_key = $1"))
        .bind(name.key())
        .fetch_optional(db)
        .await?
        .map(|row| account_from_row(row, secret_box))
        .transpose()
}

pub async fn find_by_id(db: &AnyPool, secret_box: &SecretBox, id: i64) -> Result<Option<Account>, sqlx::Error> {
    sqlx::query(&format!("{SELECT_ACCOUNT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|row| account_from_row(row, secret_box))
        .transpose()
}

/// Creates an account; `Ok(None)` when the name is taken (whatever its case).
pub async fn create(db: &AnyPool, name: &Username, password_hash: &str, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO users (username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name.as_str())
    .bind(name.key())
    .bind(password_hash)
    .bind(now)
    .fetch_one(db)
    .await;
    match inserted {
        Ok(row) => Ok(Some(row.try_get("id")?)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Claims a time-step for an account: succeeds only when the step is later than the last one
/// accepted. One conditional UPDATE, so of two concurrent submissions of one code exactly one
/// succeeds; being a successful second factor, it also resets the failure count (the same
/// statement, one write less per sign-in).
pub async fn claim_time_step(db: &AnyPool, account_id: i64, step: u64) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let result = sqlx::query(
        "UPDATE users SET totp_last_step = $1, second_factor_failures = 0, second_factor_failed_at = NULL
         WHERE id = $2 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(account_id)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Turns two-factor authentication on with a confirmed key, records the confirming code's
/// time-step as used, drops every pending setup and replaces the recovery codes — all in one
/// transaction, ending the account's other sessions. Returns the new session epoch, or `None`
/// when 2FA was already on (a concurrent confirmation won) or the account's epoch is no longer
/// `caller_epoch` (the calling session was ended meanwhile: it must not outlive that).
#[allow(clippy::too_many_arguments)]
pub async fn enable_two_factor(
    db: &AnyPool,
    secret_box: &SecretBox,
    account_id: i64,
    secret: &OtpSecret,
    params: &OtpParams,
    confirmed_factor: u64,
    recovery: &[StoredCode],
    caller_epoch: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    // The confirming code counts as used: TOTP remembers its step, HOTP moves past its counter.
    let confirmed = i64::try_from(confirmed_factor).unwrap_or(i64::MAX);
    let (last_step, next_counter) = match params.kind {
        OtpKind::Totp => (Some(confirmed), None),
        OtpKind::Hotp => (None, Some(confirmed.saturating_add(1))),
    };
    let mut tx = db.begin().await?;
    // The first statement writes, so SQLite takes the write lock at once (no lock upgrade).
    let enabled = sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3, hotp_counter = $4,
                hotp_resync_counter = NULL, otp_kind = $5, otp_algorithm = $6, otp_digits = $7, otp_period = $8,
                otp_window = $9, session_epoch = session_epoch + 1
         WHERE id = $10 AND totp_secret IS NULL AND session_epoch = $11 RETURNING session_epoch",
    )
    .bind(sealed_key(secret_box, account_id, secret)?)
    .bind(now)
    .bind(last_step)
    .bind(next_counter);
    let enabled = bind_params(enabled, params).bind(account_id).bind(caller_epoch).fetch_optional(&mut *tx).await?;
    let Some(row) = enabled else {
        tx.rollback().await?;
        return Ok(None);
    };
    let epoch: i64 = row.try_get("session_epoch")?;
    sqlx::query("DELETE FROM totp_enrollments WHERE user_id = $1").bind(account_id).execute(&mut *tx).await?;
    store_recovery_codes(&mut tx, account_id, recovery).await?;
    tx.commit().await?;
    Ok(Some(epoch))
}

/// `recovery_codes.hash_version` of a code kept as HMAC-SHA256(k, SHA-256(salt ‖ code)); rows of
/// version 0 hold SHA-256(salt ‖ code) alone (as stored before), until `key_unkeyed_recovery_codes`.
const KEYED: i64 = 1;

/// Replaces the account's recovery codes (the old set stops working at once).
pub(crate) async fn store_recovery_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: i64,
    codes: &[StoredCode],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(account_id).execute(&mut **tx).await?;
    for StoredCode { salt, hash } in codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, salt, code_hash, hash_version) VALUES ($1, $2, $3, $4)")
            .bind(account_id)
            .bind(salt)
            .bind(hash)
            .bind(KEYED)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Brings recovery codes stored as SHA-256(salt ‖ code) alone to the keyed form, by hashing what
/// each row holds under `key`; returns how many rows this call changed. Each row changes once,
/// from version 0 to `KEYED`, in one conditional statement: instances running this at once (or
/// twice) leave every row keyed exactly once.
pub async fn key_unkeyed_recovery_codes(db: &AnyPool, key: &RecoveryCodeKey) -> Result<u64, sqlx::Error> {
    const BATCH: i64 = 500;
    let mut changed = 0;
    loop {
        let rows = sqlx::query("SELECT id, code_hash FROM recovery_codes WHERE hash_version = 0 ORDER BY id LIMIT $1")
            .bind(BATCH)
            .fetch_all(db)
            .await?;
        if rows.is_empty() {
            return Ok(changed);
        }
        let mut tx = db.begin().await?;
        for row in rows {
            let unkeyed: Vec<u8> = row.try_get("code_hash")?;
            let keyed = sqlx::query(
                "UPDATE recovery_codes SET code_hash = $1, hash_version = $2 WHERE id = $3 AND hash_version = 0",
            )
            .bind(recovery_codes::wrap_unkeyed(key, &unkeyed))
            .bind(KEYED)
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut *tx)
            .await?;
            changed += keyed.rows_affected();
        }
        tx.commit().await?;
    }
}

/// A new set of recovery codes for an account with 2FA on; ends its other sessions. Returns
/// the new session epoch, or `None` when 2FA is off (a concurrent disable won) or the caller's
/// session was ended meanwhile (the epoch is no longer `caller_epoch`).
pub async fn regenerate_recovery_codes(
    db: &AnyPool,
    account_id: i64,
    codes: &[StoredCode],
    caller_epoch: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE users SET session_epoch = session_epoch + 1
         WHERE id = $1 AND session_epoch = $2
           AND (totp_secret IS NOT NULL OR EXISTS (SELECT 1 FROM security_keys k WHERE k.user_id = $1))
         RETURNING session_epoch",
    )
    .bind(account_id)
    .bind(caller_epoch)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = updated else {
        tx.rollback().await?;
        return Ok(None);
    };
    let epoch: i64 = row.try_get("session_epoch")?;
    store_recovery_codes(&mut tx, account_id, codes).await?;
    tx.commit().await?;
    Ok(Some(epoch))
}

/// Turns 2FA off: the key, the security keys, the used-step marker, the throttle, the recovery
/// codes, the remembered devices and any setup in progress are gone, and the account's other
/// sessions end. Returns the new session epoch; `None` when `caller_epoch` is given (a session
/// asks) and the account has moved past it (that session was ended meanwhile), or the account is
/// gone. The operator passes `None`.
pub async fn disable_two_factor(
    db: &AnyPool,
    access: &AccessCache,
    account_id: i64,
    caller_epoch: Option<i64>,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let raised = sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, hotp_counter = NULL,
                hotp_resync_counter = NULL,
                second_factor_failures = 0, second_factor_failed_at = NULL, session_epoch = session_epoch + 1
         WHERE id = $1 AND ($2 IS NULL OR session_epoch = $2) RETURNING session_epoch",
    )
    .bind(account_id)
    .bind(caller_epoch)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = raised else {
        tx.rollback().await?;
        return Ok(None);
    };
    let epoch: i64 = row.try_get("session_epoch")?;
    for table in ["recovery_codes", "totp_enrollments", "security_keys", "webauthn_ceremonies"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1")).bind(account_id).execute(&mut *tx).await?;
    }
    // A remembered device stood in for the second factor that is gone: forgotten with it.
    sqlx::query(super::remembered_devices::FORGET_ACCOUNT).bind(account_id).execute(&mut *tx).await?;
    // App passwords too: turning 2FA off (or an operator's reset) revokes them all.
    sqlx::query(super::app_passwords::DELETE_ACCOUNT).bind(account_id).execute(&mut *tx).await?;
    // What apps were given on the strength of the second factor goes with it.
    for statement in crate::openid::store::grants::REVOKE_ACCOUNT {
        sqlx::query(statement).bind(account_id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    access.forget_account(account_id);
    Ok(Some(epoch))
}

/// Ends every other session of the account: one conditional statement on the caller's own
/// epoch, so of two sessions asking at the same moment exactly one wins (it gets the new epoch)
/// and the other finds its epoch gone (`None`: it was ended by the winner).
/// The tokens apps hold for the account are revoked with the sessions, and its remembered devices
/// forgotten (a device the owner wants gone is one they may not recognise).
pub async fn raise_session_epoch(
    db: &AnyPool,
    access: &AccessCache,
    account_id: i64,
    caller_epoch: i64,
) -> Result<Option<i64>, sqlx::Error> {
    raise_epoch(db, access, account_id, Some(caller_epoch)).await
}

/// Raises the account's session epoch (only from `caller_epoch`, when given: one statement, so
/// of two raises from the same epoch one wins), and with it revokes its apps' tokens and forgets
/// its remembered devices. The new epoch; `None` when nothing was raised.
async fn raise_epoch(
    db: &AnyPool,
    access: &AccessCache,
    account_id: i64,
    caller_epoch: Option<i64>,
) -> Result<Option<i64>, sqlx::Error> {
    let raised: Option<i64> = sqlx::query(
        "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 AND ($2 IS NULL OR session_epoch = $2)
         RETURNING session_epoch",
    )
    .bind(account_id)
    .bind(caller_epoch)
    .fetch_optional(db)
    .await?
    .map(|row| row.try_get("session_epoch"))
    .transpose()?;
    if raised.is_some() {
        crate::openid::store::grants::revoke_account(db, access, account_id).await?;
        super::remembered_devices::forget_all(db, account_id).await?;
    }
    Ok(raised)
}

/// Ends every session of the account, whoever asks (an administrator, say): the epoch is raised
/// whatever it is, the tokens apps hold for the account are revoked with it, and its remembered
/// devices forgotten. Returns the new epoch; `None` when there is no such account.
pub async fn end_every_session(
    db: &AnyPool,
    access: &AccessCache,
    account_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    raise_epoch(db, access, account_id, None).await
}

/// An account a password reset request names, as far as the request needs it: no key is opened,
/// so finding one costs what finding none does.
pub struct ResetCandidate {
    pub id: i64,
    pub username: String,
    /// The account's address, when it is verified (the only address a reset link goes to).
    pub verified_email: Option<String>,
    pub disabled: bool,
}

/// The account whose username is `username_key`, or else whose verified address is `email`
/// (compared without regard to case): one statement, over the two unique indexes.
pub async fn find_for_reset(
    db: &AnyPool,
    username_key: &str,
    email: &str,
) -> Result<Option<ResetCandidate>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, username, email, email_verified_at, disabled_at FROM users
         WHERE username_key = $1 OR (lower(email) = lower($2) AND email_verified_at IS NOT NULL)
         ORDER BY CASE WHEN username_key = $1 THEN 0 ELSE 1 END LIMIT 1",
    )
    .bind(username_key)
    .bind(email)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let verified = row.try_get::<Option<i64>, _>("email_verified_at")?.is_some();
    Ok(Some(ResetCandidate {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        verified_email: row.try_get::<Option<String>, _>("email")?.filter(|_| verified),
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    }))
}

/// A password chosen through a reset link, on the caller's connection (in the transaction that
/// uses the link, so the link and the change go together or not at all): the new hash, the
/// session epoch raised (every session of the account ends, this browser's too), the tokens
/// apps hold revoked, the remembered devices forgotten, and the username's password failures
/// cleared (the owner proved the address, and the second factor where there is one). The second
/// factor itself is untouched. The caller drops the account's tokens from the access cache after
/// the commit (`AccessCache::forget_account`).
pub async fn set_password_after_reset(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    username: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2")
        .bind(password_hash)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    for statement in crate::openid::store::grants::REVOKE_ACCOUNT {
        sqlx::query(statement).bind(account_id).execute(&mut *conn).await?;
    }
    sqlx::query(super::remembered_devices::FORGET_ACCOUNT).bind(account_id).execute(&mut *conn).await?;
    // A changed password revokes every app password.
    sqlx::query(super::app_passwords::DELETE_ACCOUNT).bind(account_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
        .bind(crate::credentials::device_token::username_key(username))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Accepts the HOTP code of `counter`: the expected counter moves past it, once (a conditional
/// UPDATE, so two concurrent submissions cannot both succeed), and the failure count is reset.
pub async fn claim_hotp_counter(db: &AnyPool, account_id: i64, counter: u64) -> Result<bool, sqlx::Error> {
    let counter = i64::try_from(counter).unwrap_or(i64::MAX - 1);
    let result = sqlx::query(
        "UPDATE users SET hotp_counter = $1, hotp_resync_counter = NULL, second_factor_failures = 0, second_factor_failed_at = NULL
         WHERE id = $2 AND totp_secret IS NOT NULL AND COALESCE(hotp_counter, 0) <= $3",
    )
    .bind(counter + 1)
    .bind(account_id)
    .bind(counter)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Remembers a code seen beyond the HOTP window; the next code must follow it to resynchronise.
pub async fn remember_hotp_resync(db: &AnyPool, account_id: i64, counter: u64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET hotp_resync_counter = $1 WHERE id = $2")
        .bind(i64::try_from(counter).unwrap_or(i64::MAX))
        .bind(account_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Spends a recovery code: true when `canonical` matched an unused code, which is now used. A
/// row still in the unkeyed form (written by an older version of the server since this one
/// started) is compared in the keyed form too.
pub async fn redeem_recovery_code(
    db: &AnyPool,
    key: &RecoveryCodeKey,
    account_id: i64,
    canonical: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, salt, code_hash, hash_version FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(account_id)
    .fetch_all(db)
    .await?;
    let mut matched = None;
    for row in rows {
        let mut stored = StoredCode { salt: row.try_get("salt")?, hash: row.try_get("code_hash")? };
        if row.try_get::<i64, _>("hash_version")? != KEYED {
            stored.hash = recovery_codes::wrap_unkeyed(key, &stored.hash);
        }
        if recovery_codes::matches(key, canonical, &stored) {
            matched = Some(row.try_get::<i64, _>("id")?);
        }
    }
    let Some(code_id) = matched else { return Ok(false) };
    // Conditional, so two concurrent uses of one code cannot both succeed.
    let spent = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(code_id)
        .execute(db)
        .await?;
    Ok(spent.rows_affected() == 1)
}

pub async fn remaining_recovery_codes(db: &AnyPool, account_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(account_id)
        .fetch_one(db)
        .await?
        .try_get("n")
}

/// An account as the operator's list shows it.
pub struct Listed {
    pub username: String,
    pub two_factor: bool,
    pub security_keys: i64,
    pub codes_locked: bool,
    pub created_at: i64,
}

/// Every account, by name.
pub async fn list(db: &AnyPool) -> Result<Vec<Listed>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT username, {TWO_FACTOR_SQL} AS two_factor, second_factor_failures, created_at,
                    (SELECT COUNT(*) FROM security_keys k WHERE k.user_id = users.id) AS security_keys
             FROM users ORDER BY username_key"
    ))
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Listed {
                username: row.try_get("username")?,
                two_factor: bool_column(&row, "two_factor")?,
                security_keys: row.try_get("security_keys")?,
                codes_locked: row.try_get::<i64, _>("second_factor_failures")?
                    >= crate::storage::throttle::SECOND_FACTOR_LOCK_FAILURES,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// A boolean computed in SQL: SQLite answers an integer, PostgreSQL a boolean.
pub fn bool_column(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(column).or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

/// The id and the name as registered of the account named `name` (in any case).
pub async fn find_id(db: &AnyPool, name: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT id, username FROM users WHERE username_key = $1")
        .bind(name.to_ascii_lowercase())
        .fetch_optional(db)
        .await?
        .map(|row| Ok((row.try_get("id")?, row.try_get("username")?)))
        .transpose()
}

/// Deletes the account and everything it owns. Its sessions end on their next request (the
/// account is gone).
pub async fn delete(db: &AnyPool, access: &AccessCache, account_id: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for table in [
        "security_events",
        "recovery_codes",
        "totp_enrollments",
        "security_keys",
        "webauthn_ceremonies",
        "remembered_devices",
        "app_passwords",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1")).bind(account_id).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM users WHERE id = $1").bind(account_id).execute(&mut *tx).await?;
    tx.commit().await?;
    access.forget_account(account_id);
    Ok(())
}

/// The groups column (comma-separated) as a list.
pub fn groups_of(column: &str) -> Vec<String> {
    column.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect()
}

/// Replaces the account's groups (the operator's `server user groups`).
pub async fn set_groups(db: &AnyPool, account_id: i64, groups: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET groups = $1 WHERE id = $2")
        .bind(groups.join(","))
        .bind(account_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The account's display name and email, and when the email was verified (`None`: it is not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_verified_at: Option<i64>,
}

/// What a profile change asks for. `None` leaves a part as it is.
#[derive(Debug, Default)]
pub struct ProfileChange<'a> {
    pub display_name: Option<Option<&'a str>>,
    /// The new address (`None` inside: none) and when it was verified (`None`: it is not).
    pub email: Option<(Option<&'a str>, Option<i64>)>,
}

/// Whether a profile change was made.
#[derive(Debug, PartialEq, Eq)]
pub enum ProfileSaved {
    Saved,
    /// The address is another account's verified address (compared without regard to case):
    /// nothing changed.
    EmailTaken,
}

/// Changes the account's display name and email, in one transaction. An address and its
/// verification are written together, so an address never keeps the verification of another.
pub async fn change_profile(
    db: &AnyPool,
    account_id: i64,
    change: &ProfileChange<'_>,
) -> Result<ProfileSaved, sqlx::Error> {
    let mut tx = db.begin().await?;
    let saved = change_profile_on(&mut tx, account_id, change).await?;
    match saved {
        ProfileSaved::Saved => tx.commit().await?,
        ProfileSaved::EmailTaken => tx.rollback().await?,
    }
    Ok(saved)
}

/// `change_profile` on the caller's connection, in its transaction (with the link and the mail
/// a new address causes): the caller rolls back on `EmailTaken`.
///
/// Only a verified address belongs to one account (`users_by_verified_email`): an address
/// another account holds verified is refused; one it holds unverified is only its claim, and
/// does not keep the address from anyone (migration 0017 says why).
pub async fn change_profile_on(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    change: &ProfileChange<'_>,
) -> Result<ProfileSaved, sqlx::Error> {
    if let Some((email, verified_at)) = change.email {
        if let Some(address) = email {
            let held: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM users WHERE lower(email) = lower($1) AND id <> $2 AND email_verified_at IS NOT NULL",
            )
            .bind(address)
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
            if held.is_some() {
                return Ok(ProfileSaved::EmailTaken);
            }
        }
        let written = sqlx::query("UPDATE users SET email = $1, email_verified_at = $2 WHERE id = $3")
            .bind(email)
            .bind(verified_at)
            .bind(account_id)
            .execute(&mut *conn)
            .await;
        match written {
            Ok(_) => {}
            // Another account's address was verified since the check above.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(ProfileSaved::EmailTaken),
            Err(e) => return Err(e),
        }
    }
    if let Some(display_name) = change.display_name {
        sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(display_name)
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(ProfileSaved::Saved)
}

/// What following a verification link did to the account's address.
#[derive(Debug, PartialEq, Eq)]
pub enum AddressVerified {
    Verified,
    /// The account's address is no longer the one the link was sent to: nothing changed.
    AddressChanged,
    /// Another account has this address verified already: nothing changed.
    Taken,
}

/// Marks the account's address verified, on the caller's connection (in the transaction that
/// uses the link), only while it still is `email` (compared without regard to case). Of two
/// accounts holding the same address, at most one is ever verified: the unique index on
/// verified addresses refuses the second, even at the same moment.
pub async fn verify_email(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    email: &str,
    now: i64,
) -> Result<AddressVerified, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1)
         WHERE id = $2 AND email IS NOT NULL AND lower(email) = lower($3)",
    )
    .bind(now)
    .bind(account_id)
    .bind(email)
    .execute(&mut *conn)
    .await;
    match updated {
        Ok(done) if done.rows_affected() == 1 => Ok(AddressVerified::Verified),
        Ok(_) => Ok(AddressVerified::AddressChanged),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(AddressVerified::Taken),
        Err(e) => Err(e),
    }
}

/// The account's display name and email.
pub async fn profile(db: &AnyPool, account_id: i64) -> Result<Profile, sqlx::Error> {
    let row = sqlx::query("SELECT display_name, email, email_verified_at FROM users WHERE id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await?;
    Ok(Profile {
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        email_verified_at: row.try_get("email_verified_at")?,
    })
}

/// The name of the account that holds `email` verified (compared without regard to case), if any.
pub async fn holder_of_email(db: &AnyPool, email: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT username FROM users WHERE lower(email) = lower($1) AND email_verified_at IS NOT NULL")
        .bind(email)
        .fetch_optional(db)
        .await
}

/// The account's groups.
pub async fn groups_of_account(db: &AnyPool, account_id: i64) -> Result<Vec<String>, sqlx::Error> {
    let column: String =
        sqlx::query_scalar("SELECT groups FROM users WHERE id = $1").bind(account_id).fetch_one(db).await?;
    Ok(groups_of(&column))
}

/// The account's name and address, when the address is verified (where its mail goes), read on
/// the caller's connection.
pub async fn verified_address(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT username, email FROM users WHERE id = $1 AND email IS NOT NULL AND email_verified_at IS NOT NULL",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| Ok((row.try_get("username")?, row.try_get("email")?))).transpose()
}
