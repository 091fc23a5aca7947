//! The portal's session as the gate reads it: straight from the `Cookie` header.

use axum::http::{header, HeaderMap};
use std::sync::Arc;
use tower_sessions::{session::Id, Session, SessionStore};

/// The portal's session as the gate reads it: straight from the `Cookie` header. The gate is
/// routed outside the session layer (asked on every request to every protected app, it pays for
/// no cookie jar and no middleware it does not need); it only reads the session, and the store
/// moves the idle expiry on a read (at most once a minute), as for any other request.
#[derive(Clone)]
pub struct GateSessions {
    cookie_name: &'static str,
    /// A session of the store, by its id; without one it never asks the store (it is empty).
    open: Arc<dyn Fn(Option<Id>) -> Session + Send + Sync>,
}

impl GateSessions {
    pub fn new<Store: SessionStore + Clone>(store: Store, cookie_name: &'static str) -> Self {
        let store = Arc::new(store);
        Self { cookie_name, open: Arc::new(move |id| Session::new(id, store.clone(), None)) }
    }

    /// The session named by the request's session cookie (an empty one without a valid cookie).
    pub(super) fn of(&self, headers: &HeaderMap) -> Session {
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == self.cookie_name).then(|| value.parse::<Id>().ok()).flatten()
            });
        (self.open)(id)
    }
}
