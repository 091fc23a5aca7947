//! The security log of each account: sign-ins and their failures (with the factor), lockouts,
//! 2FA turned on or off, recovery codes made or used, sessions ended — with time and address.

use sqlx::{AnyConnection, AnyPool, Row};

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
    SignedInWithSecurityKey,
    SecurityKeyRejected,
    SecurityKeyAdded,
    SecurityKeyRemoved,
    DisabledByOperator,
    EnabledByOperator,
    SessionsEndedByOperator,
    GroupsChangedByOperator,
    ProfileChangedByOperator,
    RegisteredByInvitation,
    /// A sign-in with a passkey alone (logged with the passkey's name).
    SignedInWithPasskey,
    /// One other session ended by its owner ("End" on `/account/sessions`); logged with the
    /// session's browser.
    SessionEnded,
    /// Every session ended, the asking one included (`flows::sessions::end_all_sessions`).
    EverySessionEnded,
    /// An app's access removed by the owner: its tokens revoked; logged with the app's name.
    AppAccessRemoved,
    /// The password alone completed a sign-in on a remembered device (`amr` `pwd remembered`).
    SignedInOnRememberedDevice,
    /// A browser remembered after a sign-in with two factors; logged with its description.
    DeviceRemembered,
    /// A remembered device forgotten by its owner ("Forget"); logged with its description.
    RememberedDeviceForgotten,
    /// A right password from a browser that had never given this account's password (no device
    /// cookie for it): the owner is told by mail.
    NewDeviceSignIn,
    /// The password set anew through a reset link (`flows::password_reset`).
    PasswordReset,
    /// The email address changed by its owner (the old address is told).
    EmailChanged,
    /// The address verified by following the link mailed to it.
    EmailVerified,
    /// An app password made (its name).
    AppPasswordCreated,
    /// An app password revoked by its owner (its name).
    AppPasswordRevoked,
}

impl Event {
    /// Every event, for checks that each is handled.
    pub const ALL: [Event; 38] = [
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
        Event::SignedInWithSecurityKey,
        Event::SecurityKeyRejected,
        Event::SecurityKeyAdded,
        Event::SecurityKeyRemoved,
        Event::DisabledByOperator,
        Event::EnabledByOperator,
        Event::SessionsEndedByOperator,
        Event::GroupsChangedByOperator,
        Event::ProfileChangedByOperator,
        Event::RegisteredByInvitation,
        Event::SignedInWithPasskey,
        Event::SessionEnded,
        Event::EverySessionEnded,
        Event::AppAccessRemoved,
        Event::SignedInOnRememberedDevice,
        Event::DeviceRemembered,
        Event::RememberedDeviceForgotten,
        Event::NewDeviceSignIn,
        Event::PasswordReset,
        Event::EmailChanged,
        Event::EmailVerified,
        Event::AppPasswordCreated,
        Event::AppPasswordRevoked,
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
            Event::SignedInWithSecurityKey => "sign_in.success.security_key",
            Event::SecurityKeyRejected => "sign_in.failure.security_key",
            Event::SecurityKeyAdded => "security_key.added",
            Event::SecurityKeyRemoved => "security_key.removed",
            Event::DisabledByOperator => "account.disabled_by_operator",
            Event::EnabledByOperator => "account.enabled_by_operator",
            Event::SessionsEndedByOperator => "sessions.ended_by_operator",
            Event::GroupsChangedByOperator => "groups.changed_by_operator",
            Event::ProfileChangedByOperator => "profile.changed_by_operator",
            Event::RegisteredByInvitation => "account.registered_by_invitation",
            Event::SignedInWithPasskey => "sign_in.success.passkey",
            Event::SessionEnded => "sessions.ended_one",
            Event::EverySessionEnded => "sessions.ended_all",
            Event::AppAccessRemoved => "oidc.access_removed",
            Event::SignedInOnRememberedDevice => "sign_in.success.remembered_device",
            Event::DeviceRemembered => "remembered_device.added",
            Event::RememberedDeviceForgotten => "remembered_device.forgotten",
            Event::NewDeviceSignIn => "sign_in.new_device",
            Event::PasswordReset => "password.reset",
            Event::EmailChanged => "email.changed",
            Event::EmailVerified => "email.verified",
            Event::AppPasswordCreated => "app_password.created",
            Event::AppPasswordRevoked => "app_password.revoked",
        }
    }
}

/// The event in the metrics (`security_events_total`; a sign-in step also in
/// `sign_in_steps_total` by factor and outcome, a lock in `second_factor_locks_total`). Labels
/// are the event's kind only: never the account or the address.
fn count(event: Event) {
    metrics::counter!("security_events_total", "event" => event.kind()).increment(1);
    let step = match event {
        Event::SignedInWithPassword => Some(("password", "success")),
        Event::PasswordRejected => Some(("password", "failure")),
        Event::SignedInWithCode => Some(("totp", "success")),
        Event::CodeRejected => Some(("totp", "failure")),
        Event::SignedInWithRecoveryCode => Some(("recovery_code", "success")),
        Event::RecoveryCodeRejected => Some(("recovery_code", "failure")),
        Event::SignedInWithSecurityKey => Some(("security_key", "success")),
        Event::SignedInWithPasskey => Some(("passkey", "success")),
        Event::SecurityKeyRejected => Some(("security_key", "failure")),
        Event::SignedInOnRememberedDevice => Some(("remembered_device", "success")),
        _ => None,
    };
    if let Some((factor, outcome)) = step {
        metrics::counter!("sign_in_steps_total", "factor" => factor, "outcome" => outcome).increment(1);
    }
    if event == Event::CodesLocked {
        metrics::counter!("second_factor_locks_total").increment(1);
    }
}

/// Records an event; `key_name`: what it was about (a security key's name, an app's, a session's
/// browser). A failure to log is reported but never fails the request that caused it.
pub async fn record(
    db: &AnyPool,
    user_id: i64,
    event: Event,
    key_name: Option<&str>,
    client_address: Option<&str>,
    now: i64,
) {
    let result = match db.acquire().await {
        Ok(mut conn) => insert(&mut conn, user_id, event, key_name, client_address, now).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::error!(error = ?e, kind = event.kind(), "could not write the security log");
    }
}

/// Writes an event on the caller's connection (in its transaction, with the mail it causes:
/// `Services::log`), counts it in the metrics and in the log.
pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    event: Event,
    key_name: Option<&str>,
    client_address: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO security_events (user_id, at, kind, key_name, client_address) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(now)
    .bind(event.kind())
    .bind(key_name)
    .bind(client_address)
    .execute(&mut *conn)
    .await;
    count(event);
    tracing::info!(
        target: "security",
        user_id,
        event = event.kind(),
        key = key_name,
        client_address,
        "security event"
    );
    result.map(drop)
}

/// One line of the log as the account page shows it.
pub struct LoggedEvent {
    pub at: i64,
    pub kind: String,
    pub key_name: Option<String>,
    pub client_address: Option<String>,
}

/// The newest `limit` events of the account, newest first.
pub async fn recent(db: &AnyPool, user_id: i64, limit: i64) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at, kind, key_name, client_address FROM security_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
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
                key_name: row.try_get("key_name")?,
                client_address: row.try_get("client_address")?,
            })
        })
        .collect()
}
