//! The error of every sign-in flow. Its messages are written for the person at the form; the
//! web layer (`app/src/server/wire_error.rs`) gives each a status, once.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The client sent something malformed; the message says what to fix.
    #[error("{0}")]
    BadInput(String),
    /// Same answer for an unknown user and a wrong password (no enumeration).
    #[error("Wrong username or password.")]
    InvalidCredentials,
    #[error("That code is not right. Check the code in your authenticator app and try again.")]
    CodeRejected,
    /// A wrong code that would have been right a few minutes earlier or later.
    #[error("That code is not right for this moment: the clock of your phone seems to be off by about {minutes} minute{}. Set its date and time to automatic, then enter the new code.", if *minutes == 1 { "" } else { "s" })]
    CodeRejectedClockOff { minutes: u64 },
    /// HOTP: the code belongs to a counter beyond the look-ahead window (RFC 4226 §7.4).
    #[error(
        "Your device is ahead of the server. Ask your app for the next code and enter it too, to get back in step."
    )]
    HotpResyncNeeded,
    #[error("That recovery code is not right, or it was already used.")]
    RecoveryCodeRejected,
    #[error("That security key was not accepted. Use a key added to this account, or a code.")]
    SecurityKeyRejected,
    /// The answer to a security-key request that expired (5 minutes), was already answered, or
    /// was made for another session.
    #[error("The security-key request has expired or was already answered. Try again.")]
    NoPendingSecurityKeyRequest,
    #[error("Your sign-in has expired or was not started. Sign in with your password again.")]
    NoPendingSignIn,
    #[error("Please sign in first.")]
    NotSignedIn,
    #[error("For your security, confirm your password and a current code first: your last sign-in was more than 10 minutes ago.")]
    ReauthenticationRequired,
    #[error("That username is already taken. Choose another one.")]
    UsernameTaken,
    /// An address belongs to one account only (compared without regard to case).
    #[error("That email address is already used by another account. Enter another one.")]
    EmailTaken,
    #[error("Accounts on this service are made by its administrator: ask them for one.")]
    RegistrationClosed,
    #[error("Two-factor authentication is already on for this account.")]
    TwoFactorAlreadyOn,
    /// A page or action the visitor may not know of (the operator's console to anyone who is
    /// not a signed-in administrator): the same answer as an address that does not exist.
    #[error("There is no such page.")]
    NotFound,
    /// An operator's change that would leave the service in a state nobody wants (no
    /// administrator left, say); the message says why.
    #[error("{0}")]
    Conflict(String),
    /// An invitation link that was used, revoked or has expired.
    #[error("This invitation link has already been used, was revoked, or has expired. Ask for a new one.")]
    InvitationGone,
    /// A password reset link that was used (or replaced by a newer one), has expired, or never
    /// existed: the same answer for each.
    #[error("This link has expired or was already used. Ask for a new one.")]
    ResetLinkGone,
    /// A verification link that was used, has expired, was replaced by a newer one, or was sent
    /// to an address the account no longer has.
    #[error("This link cannot be used: it was used already, has expired, was replaced by a newer one, or was sent to an address your account no longer has. Send a new link from your profile.")]
    EmailLinkGone,
    /// A verification link followed while signed in to another account than the one it was
    /// sent for: nothing changes, and it stays usable by its owner.
    #[error("This link was sent for another account than the one you are signed in to, so it verifies nothing here. Sign out, sign in to the account whose address it is, then open the link again.")]
    EmailLinkOfAnotherAccount,
    #[error("Two-factor authentication is off for this account: there is nothing to change.")]
    TwoFactorOff,
    #[error("The setup has expired or was not started. Start the setup again to get a new key.")]
    NoPendingSetup,
    /// A session handle that names none of this account's signed-in sessions: ended already,
    /// never one, or another account's (the same answer, so a handle reveals nothing).
    #[error("That session is not signed in any more. The list shows the sessions that are.")]
    NoSuchSession,
    /// An app that holds no access for this account (removed already, or never signed in to).
    #[error("That app holds no access to your account. The list shows the apps that do.")]
    NoSuchApp,
    /// A device handle that names none of this account's remembered devices: forgotten already,
    /// expired, or another account's (the same answer, so a handle reveals nothing).
    #[error("That device is not remembered any more. The list shows the devices that are.")]
    NoSuchDevice,
    /// An app password id that names none of this account's app passwords: revoked already, or
    /// another account's (the same answer).
    #[error("That app password does not exist any more. The list shows the ones that do.")]
    NoSuchAppPassword,
    #[error("Too many wrong codes: sign-in with codes is locked for this account. Use a recovery code, or ask an administrator to unlock it.")]
    SecondFactorLocked,
    #[error("Too many attempts. Try again in {} seconds.", retry_after.as_secs().max(1))]
    Throttled { retry_after: Duration },
    #[error("The server is busy. Try again in {} seconds.", retry_after.as_secs().max(1))]
    Busy { retry_after: Duration },
    /// The database does not answer (down, restarting, unreachable): try again shortly.
    #[error("The service is briefly unavailable. Try again in a few seconds.")]
    DatabaseUnavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::credentials::secret_box::SealError> for AuthError {
    fn from(e: crate::credentials::secret_box::SealError) -> Self {
        AuthError::Unexpected(e.into())
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        if database_unreachable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            AuthError::DatabaseUnavailable
        } else {
            AuthError::Unexpected(e.into())
        }
    }
}

/// Errors that mean "the database is not there right now" rather than "this request is wrong".
pub fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Tls(_) => true,
        // PostgreSQL: connection exceptions (08…), admin shutdown / crash (57P0x), statement
        // timeout (57014), too many connections (53300).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "57014" || code == "53300"
        }),
        _ => false,
    }
}

impl AuthError {
    /// Neither yes nor no: the server could not decide (hashing busy, database away). Such an
    /// attempt is not counted as a failure.
    pub fn is_undecided(&self) -> bool {
        matches!(self, AuthError::Busy { .. } | AuthError::DatabaseUnavailable)
    }

    /// An error for a failure that is never the client's doing.
    pub fn unexpected(message: impl std::fmt::Display) -> Self {
        AuthError::Unexpected(anyhow::anyhow!("{message}"))
    }
}
