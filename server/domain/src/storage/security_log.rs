//! The security log of each account: sign-ins and their failures (with the factor), lockouts,
//! 2FA turned on or off, recovery codes made or used, sessions ended — with time and address.

use sqlx::{AnyPool, Row};

/// What happened. Only the `kind` is stored: it is stable (for tooling), and the account page
/// renders the words for the account's owner from it.
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
    /// Every event, for checks that each is handled.
    pub const ALL: [Event; 15] = [
        Event::SignedInWithPassword,
        Event::SignedInWithCode,
        Event::SignedInWithRecoveryCode,
        Event::PasswordRejected,
        Event::CodeRejected,
        Event::RecoveryCodeRejected,
        Event::CodesLocked,
        Event::TwoFactorEnabled,
        Event::TwoFactorDisabled,
        Event::RecoveryCodesRegenerated,
        Event::Reauthenticated,
        Event::OtherSessionsEnded,
        Event::Registered,
        Event::TwoFactorResetByOperator,
        Event::UnlockedByOperator,
    ];

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
}

/// Records an event. A failure to log is reported but never fails the request that caused it.
pub async fn record(db: &AnyPool, user_id: i64, event: Event, client_address: Option<&str>, now: i64) {
    let result = sqlx::query("INSERT INTO security_events (user_id, at, kind, client_address) VALUES ($1, $2, $3, $4)")
        .bind(user_id)
        .bind(now)
        .bind(event.kind())
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
    pub client_address: Option<String>,
}

/// The newest `limit` events of the account, newest first.
pub async fn recent(db: &AnyPool, user_id: i64, limit: i64) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at, kind, client_address FROM security_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
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
                client_address: row.try_get("client_address")?,
            })
        })
        .collect()
}
