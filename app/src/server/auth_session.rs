//! The typed session: where a visitor stands in the sign-in, kept server-side (tower-sessions,
//! in the database). The cookie holds only a random session id.

use crate::server::{clock::now_unix, error::AuthError, secret_box::SecretBox};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// A password step waits at most 5 minutes for its second factor.
pub const PENDING_SECOND_FACTOR_SECONDS: i64 = 5 * 60;

const SIGN_IN_KEY: &str = "sign_in";
const FRESH_RECOVERY_CODES_KEY: &str = "fresh_recovery_codes";
/// A random token only this session holds: the 2FA setup it starts is bound to its hash.
const SETUP_TOKEN_KEY: &str = "setup_token";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CompactRecord", try_from = "CompactRecord")]
enum SignInRecord {
    /// The password was right; the second factor is still missing. Grants nothing else.
    PendingSecondFactor { user_id: i64, since: i64, epoch: i64 },
    /// Signed in; `since` is the last full sign-in or re-authentication.
    SignedIn { user_id: i64, since: i64, epoch: i64 },
}

/// How a `SignInRecord` is kept in the session: `[stage, user_id, since, epoch]`. tower-sessions
/// copies a session's values on every read, and every signed-in request reads this one: an
/// array of four numbers is one allocation where the named form took six.
#[derive(Serialize, Deserialize)]
struct CompactRecord(u8, i64, i64, i64);

const PENDING: u8 = 1;
const SIGNED_IN: u8 = 2;

impl From<SignInRecord> for CompactRecord {
    fn from(record: SignInRecord) -> Self {
        match record {
            SignInRecord::PendingSecondFactor { user_id, since, epoch } => Self(PENDING, user_id, since, epoch),
            SignInRecord::SignedIn { user_id, since, epoch } => Self(SIGNED_IN, user_id, since, epoch),
        }
    }
}

impl TryFrom<CompactRecord> for SignInRecord {
    type Error = &'static str;
    fn try_from(CompactRecord(stage, user_id, since, epoch): CompactRecord) -> Result<Self, Self::Error> {
        match stage {
            PENDING => Ok(Self::PendingSecondFactor { user_id, since, epoch }),
            SIGNED_IN => Ok(Self::SignedIn { user_id, since, epoch }),
            _ => Err("unknown sign-in stage"),
        }
    }
}

/// Where the visitor stands, as the session says. The account's `session_epoch` must still match
/// `epoch` (see `sign_in::current_stage`), or the session was ended from elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Anonymous,
    PendingSecondFactor {
        user_id: i64,
        epoch: i64,
    },
    /// A password step whose 5 minutes ran out.
    PendingExpired,
    SignedIn {
        user_id: i64,
        authenticated_at: i64,
        epoch: i64,
    },
}

/// The session of one request, the client address it came from, and the device token it
/// showed (see `device_cookie`).
#[derive(Clone)]
pub struct AuthSession {
    session: Session,
    client_address: Option<String>,
    device_token: Option<String>,
}

/// The session store is the database: when it fails, the database is unavailable (503).
fn session_failed(e: tower_sessions::session::Error) -> AuthError {
    tracing::warn!(error = %e, "session store unavailable");
    AuthError::DatabaseUnavailable
}

impl AuthSession {
    pub fn new(session: Session, client_address: Option<String>) -> Self {
        Self { session, client_address, device_token: None }
    }

    /// The session of the request a server function is answering, and its client's address,
    /// read from the request in the Leptos context (borrowed: no extractor, no copy of the
    /// request's headers on this path every signed-in request takes).
    pub async fn current() -> Result<Self, AuthError> {
        use axum::extract::ConnectInfo;
        use std::net::SocketAddr;
        let secure =
            leptos::prelude::use_context::<crate::server::state::AppState>().is_some_and(|s| s.settings.secure_cookies);
        leptos::prelude::with_context::<http::request::Parts, _>(|request| {
            let session = request.extensions.get::<Session>().cloned()?;
            let address =
                request.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip().to_string());
            let cookies = request.headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok());
            let device_token = crate::server::device_cookie::presented(cookies, secure);
            Some(Self { session, client_address: address, device_token })
        })
        .flatten()
        .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("no session layer, or not inside a request")))
    }

    /// The client's address (the TCP peer), for the security log and per-address limits.
    pub fn client_address(&self) -> Option<&str> {
        self.client_address.as_deref()
    }

    /// The device token the browser showed, unchecked.
    pub fn device_token(&self) -> Option<&str> {
        self.device_token.as_deref()
    }

    pub async fn stage(&self) -> Result<Stage, AuthError> {
        let record = self.session.get::<SignInRecord>(SIGN_IN_KEY).await.map_err(session_failed)?;
        Ok(match record {
            None => Stage::Anonymous,
            Some(SignInRecord::SignedIn { user_id, since, epoch }) => {
                Stage::SignedIn { user_id, authenticated_at: since, epoch }
            }
            Some(SignInRecord::PendingSecondFactor { user_id, since, epoch }) => {
                if now_unix() - since < PENDING_SECOND_FACTOR_SECONDS {
                    Stage::PendingSecondFactor { user_id, epoch }
                } else {
                    Stage::PendingExpired
                }
            }
        })
    }

    /// After a right password on an account with 2FA: pending, under a new session id.
    pub async fn begin_second_factor(&self, user_id: i64, epoch: i64) -> Result<(), AuthError> {
        self.new_id().await?;
        self.forget_stash().await?;
        self.set(SignInRecord::PendingSecondFactor { user_id, since: now_unix(), epoch }).await
    }

    /// Signs the account in, under a new session id (a session id known before the sign-in,
    /// e.g. one planted by an attacker, is worth nothing after it).
    pub async fn complete_sign_in(&self, user_id: i64, epoch: i64) -> Result<(), AuthError> {
        self.new_id().await?;
        self.forget_stash().await?;
        self.set(SignInRecord::SignedIn { user_id, since: now_unix(), epoch }).await
    }

    /// A re-authentication (password and code again) restarts the window for sensitive changes;
    /// `epoch` is the account's current one (this session survives a change it made itself).
    pub async fn refresh(&self, user_id: i64, epoch: i64) -> Result<(), AuthError> {
        self.set(SignInRecord::SignedIn { user_id, since: now_unix(), epoch }).await
    }

    /// Keeps this session alive after the account's epoch was raised by this very session.
    pub async fn adopt_epoch(&self, epoch: i64) -> Result<(), AuthError> {
        match self.session.get::<SignInRecord>(SIGN_IN_KEY).await.map_err(session_failed)? {
            Some(SignInRecord::SignedIn { user_id, since, .. }) => {
                self.set(SignInRecord::SignedIn { user_id, since, epoch }).await
            }
            _ => Ok(()),
        }
    }

    /// Deletes the session from the store and clears the cookie.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        self.session.flush().await.map_err(session_failed)
    }

    /// A new session id at each step up (no session fixation). A visitor who came without a
    /// session cookie gets a new id anyway: there is no old record to delete.
    async fn new_id(&self) -> Result<(), AuthError> {
        if self.session.id().is_some() {
            self.session.cycle_id().await.map_err(session_failed)?;
        }
        Ok(())
    }

    async fn set(&self, record: SignInRecord) -> Result<(), AuthError> {
        self.session.insert(SIGN_IN_KEY, record).await.map_err(session_failed)
    }

    /// Recovery codes to show once on the next page (used when JavaScript is off). They wait in
    /// the session row encrypted like TOTP keys: the database never holds them in clear.
    pub async fn stash_recovery_codes(&self, codes: &[String], secret_box: &SecretBox) -> Result<(), AuthError> {
        let sealed = secret_box.seal(codes.join("\n").as_bytes(), FRESH_RECOVERY_CODES_KEY);
        self.session.insert(FRESH_RECOVERY_CODES_KEY, sealed).await.map_err(session_failed)
    }

    pub async fn take_recovery_codes(&self, secret_box: &SecretBox) -> Result<Vec<String>, AuthError> {
        // Looked at before it is removed: removing marks the session changed, and a changed
        // session is written to the store at the end of the request (on every account page
        // view, when nothing was waiting).
        if self.session.get_value(FRESH_RECOVERY_CODES_KEY).await.map_err(session_failed)?.is_none() {
            return Ok(Vec::new());
        }
        let sealed = self.session.remove::<Vec<u8>>(FRESH_RECOVERY_CODES_KEY).await.map_err(session_failed)?;
        let Some(plain) = sealed.and_then(|s| secret_box.open(&s, FRESH_RECOVERY_CODES_KEY).ok()) else {
            return Ok(Vec::new());
        };
        Ok(String::from_utf8_lossy(&plain).lines().map(str::to_owned).collect())
    }

    /// Nothing of an earlier sign-in (codes waiting to be shown, a setup under way) outlives a
    /// new one.
    async fn forget_stash(&self) -> Result<(), AuthError> {
        self.session.remove::<Vec<u8>>(FRESH_RECOVERY_CODES_KEY).await.map_err(session_failed)?;
        self.session.remove::<String>(SETUP_TOKEN_KEY).await.map_err(session_failed)?;
        Ok(())
    }

    /// What binds a 2FA setup to this session: a SHA-256 of a random token kept in this session
    /// alone, made on first use. Another session of the account has another token, so it can
    /// neither read nor replace this session's setup.
    pub async fn setup_binding(&self) -> Result<String, AuthError> {
        if let Some(binding) = self.existing_setup_binding().await? {
            return Ok(binding);
        }
        let token = crate::server::secret_box::random_hex(32);
        self.session.insert(SETUP_TOKEN_KEY, &token).await.map_err(session_failed)?;
        Ok(binding_of(&token))
    }

    /// The setup is over (confirmed): its token is of no more use, and every signed-in request
    /// would carry it along.
    pub async fn forget_setup_binding(&self) -> Result<(), AuthError> {
        self.session.remove::<String>(SETUP_TOKEN_KEY).await.map_err(session_failed)?;
        Ok(())
    }

    /// The binding of the setup this session started, if it started one.
    pub async fn existing_setup_binding(&self) -> Result<Option<String>, AuthError> {
        let token = self.session.get::<String>(SETUP_TOKEN_KEY).await.map_err(session_failed)?;
        Ok(token.as_deref().map(binding_of))
    }
}

fn binding_of(token: &str) -> String {
    crate::server::secret_box::sha256_hex(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    fn session() -> AuthSession {
        AuthSession::new(Session::new(None, Arc::new(MemoryStore::default()), None), None)
    }

    /// Viewing the account page with no codes waiting changes nothing in the session, so nothing
    /// is written back to the store.
    #[tokio::test]
    async fn taking_codes_when_none_wait_leaves_the_session_unchanged() {
        let s = session();
        let secret_box = SecretBox::new(&[7; 32]);
        assert!(s.take_recovery_codes(&secret_box).await.unwrap().is_empty());
        assert!(!s.session.is_modified());
        s.stash_recovery_codes(&["a".into(), "b".into()], &secret_box).await.unwrap();
        assert_eq!(s.take_recovery_codes(&secret_box).await.unwrap(), ["a", "b"]);
        assert!(s.take_recovery_codes(&secret_box).await.unwrap().is_empty(), "codes are shown once");
    }

    #[tokio::test]
    async fn a_pending_sign_in_expires_after_five_minutes() {
        let s = session();
        let since = now_unix() - PENDING_SECOND_FACTOR_SECONDS + 5;
        s.set(SignInRecord::PendingSecondFactor { user_id: 7, since, epoch: 0 }).await.unwrap();
        assert_eq!(s.stage().await.unwrap(), Stage::PendingSecondFactor { user_id: 7, epoch: 0 });
        let since = now_unix() - PENDING_SECOND_FACTOR_SECONDS - 1;
        s.set(SignInRecord::PendingSecondFactor { user_id: 7, since, epoch: 0 }).await.unwrap();
        assert_eq!(s.stage().await.unwrap(), Stage::PendingExpired);
    }

    #[test]
    fn a_sign_in_record_is_kept_as_four_numbers_and_read_back() {
        for record in [
            SignInRecord::PendingSecondFactor { user_id: 7, since: 1_700_000_000, epoch: 2 },
            SignInRecord::SignedIn { user_id: 7, since: 1_700_000_001, epoch: 3 },
        ] {
            let value = serde_json::to_value(record).unwrap();
            assert!(value.as_array().is_some_and(|a| a.len() == 4), "{value}");
            assert_eq!(serde_json::from_value::<SignInRecord>(value).unwrap(), record);
        }
        assert!(serde_json::from_value::<SignInRecord>(serde_json::json!([9, 1, 2, 3])).is_err());
    }

    #[tokio::test]
    async fn a_pending_sign_in_grants_nothing_else() {
        let s = session();
        s.begin_second_factor(7, 0).await.unwrap();
        assert!(matches!(s.stage().await.unwrap(), Stage::PendingSecondFactor { user_id: 7, .. }));
        s.complete_sign_in(7, 0).await.unwrap();
        assert!(matches!(s.stage().await.unwrap(), Stage::SignedIn { user_id: 7, .. }));
    }
}
