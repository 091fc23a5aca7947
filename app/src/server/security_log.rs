//! The security log of each account: sign-ins and their failures (with the factor), lockouts,
//! 2FA turned on or off, recovery codes made or used, sessions ended — with time and address.

use crate::server::clock::now_unix;
use sqlx::{AnyPool, Row};

/// What happened. The `kind` is stable (for tooling); the detail is for the account's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    SignedInWithPassword,
    SignedInWithCode,
    SignedInWithRecoveryCode,
    PasswordRejected,
    CodeRejected,
    RecoveryCodeRejected,
    CodesLocked,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    Reauthenticated,
    OtherSessionsEnded,
    Registered,
    TwoFactorResetByOperator,
    UnlockedByOperator,
}

impl Event {
    pub fn kind(self) -> &'static str {
        match self {
            Event::SignedInWithPassword => "sign_in.success.password",
            Event::SignedInWithCode => "sign_in.success.totp",
            Event::SignedInWithRecoveryCode => "sign_in.success.recovery_code",
            Event::PasswordRejected => "sign_in.failure.password",
            Event::CodeRejected => "sign_in.failure.totp",
            Event::RecoveryCodeRejected => "sign_in.failure.recovery_code",
            Event::CodesLocked => "second_factor.locked",
            Event::TwoFactorEnabled => "two_factor.enabled",
            Event::TwoFactorDisabled => "two_factor.disabled",
            Event::RecoveryCodesRegenerated => "recovery_codes.regenerated",
            Event::Reauthenticated => "reauthenticated",
            Event::OtherSessionsEnded => "sessions.ended_others",
            Event::Registered => "account.registered",
            Event::TwoFactorResetByOperator => "two_factor.reset_by_operator",
            Event::UnlockedByOperator => "throttling.cleared_by_operator",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Event::SignedInWithPassword => "Signed in with password",
            Event::SignedInWithCode => "Signed in with password and authenticator code",
            Event::SignedInWithRecoveryCode => "Signed in with password and a recovery code",
            Event::PasswordRejected => "Failed sign-in: wrong password",
            Event::CodeRejected => "Failed sign-in: wrong authenticator code",
            Event::RecoveryCodeRejected => "Failed sign-in: wrong recovery code",
            Event::CodesLocked => "Sign-in with codes locked after too many wrong codes",
            Event::TwoFactorEnabled => "Two-factor authentication turned on",
            Event::TwoFactorDisabled => "Two-factor authentication turned off",
            Event::RecoveryCodesRegenerated => "New recovery codes made (the old ones no longer work)",
            Event::Reauthenticated => "Confirmed password and code for a sensitive change",
            Event::OtherSessionsEnded => "Signed out of every other session",
            Event::Registered => "Account created",
            Event::TwoFactorResetByOperator => "Two-factor authentication turned off by an administrator",
            Event::UnlockedByOperator => "Sign-in limits cleared by an administrator",
        }
    }
}

/// Records an event. A failure to log is reported but never fails the request that caused it.
pub async fn record(db: &AnyPool, user_id: i64, event: Event, client_address: Option<&str>) {
    let result = sqlx::query(
        "INSERT INTO security_events (user_id, at, kind, detail, client_address) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(now_unix())
    .bind(event.kind())
    .bind(event.describe())
    .bind(client_address)
    .execute(db)
    .await;
    if let Err(e) = result {
        tracing::error!(error = ?e, kind = event.kind(), "could not write the security log");
    }
}

/// One line of the log as the account page shows it.
pub struct LoggedEvent {
    pub at: i64,
    pub kind: String,
    pub detail: String,
    pub client_address: Option<String>,
}

/// The newest `limit` events of the account, newest first.
pub async fn recent(db: &AnyPool, user_id: i64, limit: i64) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at, kind, detail, client_address FROM security_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(LoggedEvent {
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                detail: row.try_get("detail")?,
                client_address: row.try_get("client_address")?,
            })
        })
        .collect()
}

/// `2026-11-28 14:05 UTC`: what the page shows before (or without) JavaScript.
pub fn format_utc(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds).ok().and_then(|t| t.format(format).ok()).unwrap_or_default()
}
