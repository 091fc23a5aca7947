//! Who is asking: the one answer every part of the server takes — pages, server functions, the
//! forward-auth gate, the OpenID Connect endpoints and the kept account page. Resolved from the
//! session and the account's identity (kept in memory on SQLite: `storage::identities`), once per
//! request: the session remembers it until the request writes the sign-in again.
//!
//! The types are here; `resolve.rs` resolves them from a session, and answers what needs the
//! services (the time, the account's credentials).
//!
//! A session whose account is gone, or whose epoch the account has moved past ("sign out
//! everywhere", a change to 2FA, an operator's reset), is ended here and is anonymous.

mod resolve;

use crate::{error::AuthError, storage::identities::Identity};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Visitor {
    /// No sign-in, or one that ended.
    Anonymous,
    /// A password step whose 5 minutes ran out without its second factor: anonymous, and told so.
    PendingExpired,
    /// The password was right; the second factor is awaited. Grants nothing else.
    Pending {
        user_id: i64,
        identity: Arc<Identity>,
    },
    SignedIn(SignedIn),
}

/// A completed sign-in: both factors where the account has 2FA on.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub identity: Arc<Identity>,
    /// The last full sign-in or re-authentication (Unix seconds).
    pub authenticated_at: i64,
    pub factors: Factors,
}

impl SignedIn {
    /// The account's invitation requires two-factor authentication and it is not on yet: a
    /// password alone opens nothing (no page but its setup, no app, no `one_factor` rule) until
    /// it is.
    pub fn owes_second_factor(&self) -> bool {
        self.identity.two_factor_required && !self.factors.two()
    }
}

/// How the sign-in was made. The `amr` values are RFC 8176's, but for the remembered device's
/// marker (`docs/contract/oidc.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factors {
    /// A password alone (the account has no second factor).
    Password,
    /// A password, then an app's code or a recovery code.
    PasswordAndCode,
    /// A password, then a security key.
    PasswordAndKey,
    /// A passkey alone: a discoverable credential with user verification (something held, and
    /// the PIN or biometric that unlocked it), no password.
    Passkey,
    /// A password, on a device remembered after an earlier two-factor sign-in: no second factor
    /// was checked this time, and `amr` says so.
    PasswordOnRememberedDevice,
}

impl Factors {
    /// Whether the sign-in counts as two factors (a `two_factor` rule or app lets it through).
    pub fn two(self) -> bool {
        self != Factors::Password
    }

    /// Whether a security key or a passkey was used (a rule's `factor = "key"`).
    pub fn with_key(self) -> bool {
        matches!(self, Factors::PasswordAndKey | Factors::Passkey)
    }

    /// The `amr` values (RFC 8176) an ID token carries for this sign-in.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            Factors::Password => &["pwd"],
            Factors::PasswordAndCode => &["pwd", "otp", "mfa"],
            Factors::PasswordAndKey => &["pwd", "hwk", "mfa"],
            Factors::Passkey => &["hwk", "user", "mfa"],
            Factors::PasswordOnRememberedDevice => &["pwd", "remembered"],
        }
    }
}

impl Visitor {
    /// The completed sign-in, or `NotSignedIn`.
    pub fn signed_in(&self) -> Result<&SignedIn, AuthError> {
        match self {
            Visitor::SignedIn(signed_in) => Ok(signed_in),
            _ => Err(AuthError::NotSignedIn),
        }
    }

    /// The account's name and groups, as the access rules see them: only a completed sign-in
    /// has them.
    pub fn username_and_groups(&self) -> Option<(&str, &[String])> {
        let signed_in = self.signed_in().ok()?;
        Some((&signed_in.identity.username, &signed_in.identity.groups))
    }
}

#[cfg(test)]
impl Visitor {
    /// A signed-in visitor as the access rules see one (name, groups, factors).
    pub(crate) fn signed_in_for_tests(username: &str, groups: &[&str], factors: Factors) -> Visitor {
        Visitor::SignedIn(SignedIn {
            user_id: 1,
            identity: Arc::new(Identity {
                username: username.into(),
                two_factor: factors.two(),
                session_epoch: 0,
                display_name: None,
                email: None,
                email_verified: false,
                groups: groups.iter().map(|g| g.to_string()).collect(),
                oidc_subject: None,
                disabled: false,
                two_factor_required: false,
            }),
            authenticated_at: 0,
            factors,
        })
    }
}
