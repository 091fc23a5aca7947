//! Two-factor setups in progress: the key lives here, server-side, until a code confirms it.
//! Each belongs to the session that started it (`binding`, see `flows::session::setup_binding`):
//! another session of the same account, a stale or stolen one, neither reads nor replaces it.

use crate::{
    credentials::{
        otp::OtpSecret,
        otp_params::OtpParams,
        secret_box::{otp_secret_context, SecretBox},
    },
    storage::accounts::{bind_params, params_from_row, sealed_key},
};
use sqlx::{AnyPool, Row};

/// A setup not confirmed within 10 minutes is void.
pub const PENDING_SETUP_SECONDS: i64 = 10 * 60;

/// Starts a new setup with a fresh key and the policy's parameters, replacing any earlier one
/// of the same session.
pub async fn start(
    db: &AnyPool,
    secret_box: &SecretBox,
    account_id: i64,
    binding: &str,
    params: &OtpParams,
    now: i64,
) -> Result<OtpSecret, sqlx::Error> {
    let secret = OtpSecret::generate();
    let query = sqlx::query(
        "INSERT INTO totp_enrollments (user_id, secret, otp_kind, otp_algorithm, otp_digits, otp_period, otp_window, created_at, session_binding)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (user_id, session_binding) DO UPDATE SET secret = excluded.secret, otp_kind = excluded.otp_kind,
           otp_algorithm = excluded.otp_algorithm, otp_digits = excluded.otp_digits, otp_period = excluded.otp_period,
           otp_window = excluded.otp_window, created_at = excluded.created_at",
    )
    .bind(account_id)
    .bind(sealed_key(secret_box, account_id, &secret)?);
    bind_params(query, params).bind(now).bind(binding).execute(db).await?;
    Ok(secret)
}

/// The key of this session's setup in progress and its parameters, unless it has expired.
pub async fn pending(
    db: &AnyPool,
    secret_box: &SecretBox,
    account_id: i64,
    binding: &str,
    now: i64,
) -> Result<Option<(OtpSecret, OtpParams)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT secret, otp_kind, otp_algorithm, otp_digits, otp_period, otp_window
         FROM totp_enrollments WHERE user_id = $1 AND session_binding = $2 AND created_at > $3",
    )
    .bind(account_id)
    .bind(binding)
    .bind(now - PENDING_SETUP_SECONDS)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: Vec<u8> = row.try_get("secret")?;
    let secret = secret_box
        .open(&sealed, &otp_secret_context(account_id))
        .map_err(|e| sqlx::Error::Decode(format!("the pending TOTP key of account {account_id}: {e}").into()))?;
    Ok(Some((OtpSecret::from_bytes(secret), params_from_row(&row)?)))
}
