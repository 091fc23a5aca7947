//! What the server functions get from the axum app: the sign-in services, the session store (to
//! end one session from another), and the Leptos options.

use crate::server::wire_error::missing_context;
use axum::extract::FromRef;
use domain::{flows::sessions::StoredSessions, AuthError, Services};
use leptos::prelude::{use_context, LeptosOptions};
use std::sync::Arc;

/// Shared by axum handlers (as router state) and server functions (as Leptos context). It is
/// cloned several times per request (each middleware's `State`, the Leptos context), so it is
/// one `Arc`: a clone is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// The store every request's session lives in (the server's, built at start-up).
    pub sessions: Arc<dyn StoredSessions>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, services: Services, sessions: Arc<dyn StoredSessions>) -> Self {
        Self(Arc::new(Shared { leptos_options, services, sessions }))
    }

    pub fn leptos_options(&self) -> &LeptosOptions {
        &self.0.leptos_options
    }

    /// The session store, to end a session other than the request's own.
    pub fn sessions(&self) -> &dyn StoredSessions {
        self.0.sessions.as_ref()
    }
}

/// The flows take `&Services`: `&state` gives them.
impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0.services
    }
}

/// leptos_axum's handlers take the options from the router state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.0.leptos_options.clone()
    }
}

/// The app state from the Leptos context of the current request.
pub fn app_state() -> Result<AppState, AuthError> {
    use_context::<AppState>().ok_or_else(|| missing_context("AppState"))
}
