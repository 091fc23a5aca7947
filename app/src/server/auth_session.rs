//! The typed session: where a visitor stands in the sign-in, kept server-side (tower-sessions,
//! in the database). The cookie holds only a random session id.

use crate::server::{clock::now_unix, error::AuthError};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// A password step waits at most 5 minutes for its second factor.
pub const PENDING_SECOND_FACTOR_SECONDS: i64 = 5 * 60;

const SIGN_IN_KEY: &str = "sign_in";
const FRESH_RECOVERY_CODES_KEY: &str = "fresh_recovery_codes";

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum SignInRecord {
    /// The password was right; the second factor is still missing. Grants nothing else.
    PendingSecondFactor { user_id: i64, since: i64 },
    SignedIn { user_id: i64, since: i64 },
}

/// Where the visitor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Anonymous,
    PendingSecondFactor { user_id: i64 },
    /// A password step whose 5 minutes ran out.
    PendingExpired,
    SignedIn { user_id: i64 },
}

#[derive(Clone)]
pub struct AuthSession(Session);

fn session_failed(e: tower_sessions::session::Error) -> AuthError {
    AuthError::Unexpected(anyhow::anyhow!("session store: {e}"))
}

impl AuthSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// The session of the request a server function is answering.
    pub async fn current() -> Result<Self, AuthError> {
        let session = leptos_axum::extract::<Session>()
            .await
            .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("no session layer: {e}")))?;
        Ok(Self(session))
    }

    pub async fn stage(&self) -> Result<Stage, AuthError> {
        let record = self.0.get::<SignInRecord>(SIGN_IN_KEY).await.map_err(session_failed)?;
        Ok(match record {
            None => Stage::Anonymous,
            Some(SignInRecord::SignedIn { user_id, .. }) => Stage::SignedIn { user_id },
            Some(SignInRecord::PendingSecondFactor { user_id, since }) => {
                if now_unix() - since < PENDING_SECOND_FACTOR_SECONDS {
                    Stage::PendingSecondFactor { user_id }
                } else {
                    Stage::PendingExpired
                }
            }
        })
    }

    /// The account of a fully signed-in session (both factors, where 2FA is on).
    pub async fn signed_in_user(&self) -> Result<i64, AuthError> {
        match self.stage().await? {
            Stage::SignedIn { user_id } => Ok(user_id),
            _ => Err(AuthError::NotSignedIn),
        }
    }

    /// The account waiting for its second factor.
    pub async fn pending_user(&self) -> Result<i64, AuthError> {
        match self.stage().await? {
            Stage::PendingSecondFactor { user_id } => Ok(user_id),
            _ => Err(AuthError::NoPendingSignIn),
        }
    }

    /// After a right password on an account with 2FA: pending, under a new session id.
    pub async fn begin_second_factor(&self, user_id: i64) -> Result<(), AuthError> {
        self.0.cycle_id().await.map_err(session_failed)?;
        self.set(SignInRecord::PendingSecondFactor { user_id, since: now_unix() }).await
    }

    /// Signs the account in, under a new session id (a session id known before the sign-in,
    /// e.g. one planted by an attacker, is worth nothing after it).
    pub async fn complete_sign_in(&self, user_id: i64) -> Result<(), AuthError> {
        self.0.cycle_id().await.map_err(session_failed)?;
        self.set(SignInRecord::SignedIn { user_id, since: now_unix() }).await
    }

    /// Deletes the session from the store and clears the cookie.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        self.0.flush().await.map_err(session_failed)
    }

    async fn set(&self, record: SignInRecord) -> Result<(), AuthError> {
        self.0.insert(SIGN_IN_KEY, record).await.map_err(session_failed)
    }

    /// Recovery codes to show once on the next page (used when JavaScript is off).
    pub async fn stash_recovery_codes(&self, codes: Vec<String>) -> Result<(), AuthError> {
        self.0.insert(FRESH_RECOVERY_CODES_KEY, codes).await.map_err(session_failed)
    }

    pub async fn take_recovery_codes(&self) -> Result<Vec<String>, AuthError> {
        Ok(self
            .0
            .remove::<Vec<String>>(FRESH_RECOVERY_CODES_KEY)
            .await
            .map_err(session_failed)?
            .unwrap_or_default())
    }
}

/// The client's address as the TCP peer (see SECURITY.md for proxies), for per-address limits.
pub async fn client_address() -> Option<String> {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|ConnectInfo(addr)| addr.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    fn session() -> AuthSession {
        AuthSession::new(Session::new(None, Arc::new(MemoryStore::default()), None))
    }

    #[tokio::test]
    async fn a_pending_sign_in_expires_after_five_minutes() {
        let s = session();
        let since = now_unix() - PENDING_SECOND_FACTOR_SECONDS + 5;
        s.set(SignInRecord::PendingSecondFactor { user_id: 7, since }).await.unwrap();
        assert_eq!(s.stage().await.unwrap(), Stage::PendingSecondFactor { user_id: 7 });
        let since = now_unix() - PENDING_SECOND_FACTOR_SECONDS - 1;
        s.set(SignInRecord::PendingSecondFactor { user_id: 7, since }).await.unwrap();
        assert_eq!(s.stage().await.unwrap(), Stage::PendingExpired);
        assert!(matches!(s.pending_user().await, Err(AuthError::NoPendingSignIn)));
    }

    #[tokio::test]
    async fn a_pending_sign_in_grants_nothing_else() {
        let s = session();
        s.begin_second_factor(7).await.unwrap();
        assert!(matches!(s.signed_in_user().await, Err(AuthError::NotSignedIn)));
        s.complete_sign_in(7).await.unwrap();
        assert_eq!(s.signed_in_user().await.unwrap(), 7);
    }
}
