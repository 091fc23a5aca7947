//! The visitor's session — tower-sessions, kept in the database by the server's store — as the
//! domain's `SessionData`. The cookie holds only a random session id.

use crate::server::{
    client_address, device_cookie, remember_cookie,
    state::{app_state, AppState},
    wire_error::missing_context,
};
use domain::{
    credentials::secret_box::SecretBox,
    flows::session::{FreshSignIn, SessionData, SignInRecord},
    user_agent,
    visitor::Visitor,
    AuthError,
};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use tower_sessions::Session;

/// Where the visitor stands in the sign-in (`SignInRecord`). The server's session store reads it
/// too, on every write: who a signed-in session belongs to (`server/src/infra/session_store.rs`).
pub const SIGN_IN_KEY: &str = "sign_in";
/// The browser and address of a full sign-in (or re-authentication), for "Your sessions". Put
/// beside the sign-in record; the store moves it out of the data into columns of its own.
pub const DEVICE_KEY: &str = "device";
const FRESH_RECOVERY_CODES_KEY: &str = "fresh_recovery_codes";
/// A random token only this session holds: the 2FA setup it starts is bound to its hash.
const SETUP_TOKEN_KEY: &str = "setup_token";
/// Set when the second step was a security key (`amr` `hwk`).
const SIGNED_IN_WITH_KEY: &str = "signed_in_with_key";
const SIGNED_IN_WITH_PASSKEY: &str = "signed_in_with_passkey";
/// Set when the password alone completed the sign-in on a remembered device (`amr`
/// `remembered`).
const SIGNED_IN_ON_REMEMBERED_DEVICE: &str = "signed_in_on_remembered_device";
/// A fresh sign-in an app asked for (`domain::flows::session::FreshSignIn`).
const FRESH_SIGN_IN_KEY: &str = "fresh_sign_in";

/// What `DEVICE_KEY` holds: the browser (its `User-Agent`, shortened) and the address a
/// sign-in came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInDevice {
    pub user_agent: Option<String>,
    pub client_address: Option<String>,
}

/// The session of one request, the client address it came from, its browser's `User-Agent`,
/// the device token it showed (see `device_cookie`), the remembered-device token it showed (see
/// `remember_cookie`), and the visitor it resolved.
#[derive(Clone)]
pub struct RequestSession {
    session: Session,
    client_address: Option<String>,
    /// Kept as the header (a shared reference, no copy): read only when a sign-in completes.
    user_agent: Option<http::HeaderValue>,
    device_token: Option<String>,
    remembered_device_token: Option<String>,
    visitor: VisitorSlot,
}

/// The visitor a request resolved (`Visitor::of`), shared through the request's extensions by
/// every reader of the request: the page cache, the page guard and the page's render resolve it
/// once. Emptied by every write of the sign-in.
#[derive(Clone, Default)]
pub struct VisitorSlot(Arc<Mutex<Option<Visitor>>>);

impl VisitorSlot {
    fn get(&self) -> Option<Visitor> {
        self.0.lock().ok().and_then(|kept| kept.clone())
    }

    fn set(&self, visitor: Option<Visitor>) {
        if let Ok(mut kept) = self.0.lock() {
            *kept = visitor;
        }
    }
}

/// The session store is the database: when it fails, the database is unavailable (503).
fn session_failed(e: tower_sessions::session::Error) -> AuthError {
    tracing::warn!(error = %e, "session store unavailable");
    AuthError::DatabaseUnavailable
}

impl RequestSession {
    pub fn new(session: Session, client_address: Option<String>) -> Self {
        Self {
            session,
            client_address,
            user_agent: None,
            device_token: None,
            remembered_device_token: None,
            visitor: VisitorSlot::default(),
        }
    }

    /// The session of a request the server's middleware handles (none outside the session
    /// layer), sharing its visitor with every later reader of the same request.
    pub fn of_request<B>(request: &mut http::Request<B>) -> Option<Self> {
        let session = request.extensions().get::<Session>()?.clone();
        let visitor = request.extensions_mut().get_or_insert_default::<VisitorSlot>().clone();
        Some(Self {
            session,
            client_address: None,
            user_agent: None,
            device_token: None,
            remembered_device_token: None,
            visitor,
        })
    }

    /// The session of the request a server function is answering, and its client's address,
    /// read from the request in the Leptos context (borrowed: no extractor, no copy of the
    /// request's headers on this path every signed-in request takes).
    pub fn current() -> Result<Self, AuthError> {
        let state = app_state()?;
        let secure = state.settings.secure_cookies;
        leptos::prelude::with_context::<http::request::Parts, _>(|request| {
            let session = request.extensions.get::<Session>().cloned()?;
            let address =
                client_address::of_request(&request.extensions, &request.headers, &state.settings.trusted_proxies)
                    .map(|address| address.to_string());
            let cookies = || request.headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok());
            let device_token = device_cookie::presented(cookies(), secure);
            let remembered_device_token = remember_cookie::presented(cookies(), secure);
            let visitor = request.extensions.get::<VisitorSlot>().cloned().unwrap_or_default();
            let user_agent = request.headers.get(http::header::USER_AGENT).cloned();
            Some(Self { session, client_address: address, user_agent, device_token, remembered_device_token, visitor })
        })
        .flatten()
        .ok_or_else(|| missing_context("the session (no session layer, or not inside a request)"))
    }

    /// The client's address (through `TRUSTED_PROXIES`) as the access rules' `networks` judge
    /// it (`client_address::for_networks`: a trusted proxy itself is unknown).
    pub fn client_ip(&self, trusted: &[ipnet::IpNet]) -> Option<std::net::IpAddr> {
        client_address::for_networks(self.client_address.as_deref().and_then(|address| address.parse().ok()), trusted)
    }

    /// Recovery codes to show once on the next page (used when JavaScript is off). They wait in
    /// the session row encrypted like TOTP keys: the database never holds them in clear.
    pub async fn stash_recovery_codes(&self, codes: &[String], secret_box: &SecretBox) -> Result<(), AuthError> {
        let sealed = secret_box.seal(codes.join("\n").as_bytes(), FRESH_RECOVERY_CODES_KEY)?;
        self.session.insert(FRESH_RECOVERY_CODES_KEY, sealed).await.map_err(session_failed)
    }

    /// Whether recovery codes wait to be shown once (the next account page shows them).
    pub async fn has_waiting_recovery_codes(&self) -> bool {
        !matches!(self.session.get_value(FRESH_RECOVERY_CODES_KEY).await, Ok(None))
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
}

/// What every server function starts from: the app state and the session of its request.
pub fn request_context() -> Result<(AppState, RequestSession), AuthError> {
    Ok((app_state()?, RequestSession::current()?))
}

impl SessionData for RequestSession {
    async fn sign_in_record(&self) -> Result<Option<SignInRecord>, AuthError> {
        self.session.get::<SignInRecord>(SIGN_IN_KEY).await.map_err(session_failed)
    }

    /// A full sign-in (or a re-authentication) also leaves its browser and address for the
    /// session list, when the request has them.
    async fn set_sign_in_record(&self, record: SignInRecord) -> Result<(), AuthError> {
        self.visitor.set(None);
        if matches!(record, SignInRecord::SignedIn { .. }) {
            let user_agent = self.user_agent.as_ref().and_then(|v| v.to_str().ok()).and_then(user_agent::shorten);
            let device = SignInDevice { user_agent, client_address: self.client_address.clone() };
            if device.user_agent.is_some() || device.client_address.is_some() {
                self.session.insert(DEVICE_KEY, device).await.map_err(session_failed)?;
            }
        }
        self.session.insert(SIGN_IN_KEY, record).await.map_err(session_failed)
    }

    async fn renew(&self) -> Result<(), AuthError> {
        self.visitor.set(None);
        // A visitor who came without a session cookie gets a new id anyway: there is no old
        // record to delete.
        if self.session.id().is_some() {
            self.session.cycle_id().await.map_err(session_failed)?;
        }
        self.session.remove::<Vec<u8>>(FRESH_RECOVERY_CODES_KEY).await.map_err(session_failed)?;
        self.session.remove::<String>(SETUP_TOKEN_KEY).await.map_err(session_failed)?;
        self.session.remove::<bool>(SIGNED_IN_WITH_KEY).await.map_err(session_failed)?;
        self.session.remove::<bool>(SIGNED_IN_WITH_PASSKEY).await.map_err(session_failed)?;
        self.session.remove::<bool>(SIGNED_IN_ON_REMEMBERED_DEVICE).await.map_err(session_failed)?;
        Ok(())
    }

    async fn signed_in_with_key(&self) -> Result<bool, AuthError> {
        Ok(self.session.get::<bool>(SIGNED_IN_WITH_KEY).await.map_err(session_failed)?.unwrap_or(false))
    }

    async fn mark_signed_in_with_key(&self) -> Result<(), AuthError> {
        self.visitor.set(None);
        self.session.insert(SIGNED_IN_WITH_KEY, true).await.map_err(session_failed)
    }

    async fn signed_in_with_passkey(&self) -> Result<bool, AuthError> {
        Ok(self.session.get::<bool>(SIGNED_IN_WITH_PASSKEY).await.map_err(session_failed)?.unwrap_or(false))
    }

    async fn mark_signed_in_with_passkey(&self) -> Result<(), AuthError> {
        self.visitor.set(None);
        self.session.insert(SIGNED_IN_WITH_PASSKEY, true).await.map_err(session_failed)
    }

    async fn signed_in_on_remembered_device(&self) -> Result<bool, AuthError> {
        Ok(self.session.get::<bool>(SIGNED_IN_ON_REMEMBERED_DEVICE).await.map_err(session_failed)?.unwrap_or(false))
    }

    async fn mark_signed_in_on_remembered_device(&self) -> Result<(), AuthError> {
        self.visitor.set(None);
        self.session.insert(SIGNED_IN_ON_REMEMBERED_DEVICE, true).await.map_err(session_failed)
    }

    async fn end(&self) -> Result<(), AuthError> {
        self.visitor.set(None);
        self.session.flush().await.map_err(session_failed)
    }

    async fn setup_token(&self) -> Result<Option<String>, AuthError> {
        self.session.get::<String>(SETUP_TOKEN_KEY).await.map_err(session_failed)
    }

    async fn set_setup_token(&self, token: String) -> Result<(), AuthError> {
        self.session.insert(SETUP_TOKEN_KEY, token).await.map_err(session_failed)
    }

    async fn forget_setup_token(&self) -> Result<(), AuthError> {
        self.session.remove::<String>(SETUP_TOKEN_KEY).await.map_err(session_failed)?;
        Ok(())
    }

    async fn fresh_sign_in(&self) -> Result<Option<FreshSignIn>, AuthError> {
        self.session.get::<FreshSignIn>(FRESH_SIGN_IN_KEY).await.map_err(session_failed)
    }

    async fn set_fresh_sign_in(&self, fresh: Option<FreshSignIn>) -> Result<(), AuthError> {
        match fresh {
            Some(fresh) => self.session.insert(FRESH_SIGN_IN_KEY, fresh).await.map_err(session_failed),
            None => {
                self.session.remove::<FreshSignIn>(FRESH_SIGN_IN_KEY).await.map_err(session_failed)?;
                Ok(())
            }
        }
    }

    fn client_address(&self) -> Option<&str> {
        self.client_address.as_deref()
    }

    fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_ref().and_then(|v| v.to_str().ok())
    }

    fn stored_key(&self) -> Option<String> {
        self.session.id().map(|id| domain::storage::sessions::stored_key(&id.to_string()))
    }

    fn device_token(&self) -> Option<&str> {
        self.device_token.as_deref()
    }

    fn remembered_device_token(&self) -> Option<&str> {
        self.remembered_device_token.as_deref()
    }

    fn remembered_visitor(&self) -> Option<Visitor> {
        self.visitor.get()
    }

    fn remember_visitor(&self, visitor: &Visitor) {
        self.visitor.set(Some(visitor.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    /// Viewing the account page with no codes waiting changes nothing in the session, so nothing
    /// is written back to the store.
    #[tokio::test]
    async fn taking_codes_when_none_wait_leaves_the_session_unchanged() {
        let s = RequestSession::new(Session::new(None, Arc::new(MemoryStore::default()), None), None);
        let secret_box = SecretBox::new(&[7; 32]);
        assert!(s.take_recovery_codes(&secret_box).await.unwrap().is_empty());
        assert!(!s.session.is_modified());
        s.stash_recovery_codes(&["a".into(), "b".into()], &secret_box).await.unwrap();
        assert_eq!(s.take_recovery_codes(&secret_box).await.unwrap(), ["a", "b"]);
        assert!(s.take_recovery_codes(&secret_box).await.unwrap().is_empty(), "codes are shown once");
    }
}
