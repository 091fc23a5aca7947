//! What the server functions get from the axum app: the sign-in services, and the Leptos options.

use crate::server::wire_error::missing_context;
use axum::extract::FromRef;
use domain::{AuthError, Services};
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
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, services: Services) -> Self {
        Self(Arc::new(Shared { leptos_options, services }))
    }

    pub fn leptos_options(&self) -> &LeptosOptions {
        &self.0.leptos_options
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
