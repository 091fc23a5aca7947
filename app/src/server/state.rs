//! What the server functions get from the axum app: the pool and the settings.

use crate::server::{
    auth_session::AuthSession, error::AuthError, identities::Identities, otp_policy::OtpParams, secret_box::SecretBox,
};
use axum::extract::FromRef;
use leptos::prelude::{use_context, LeptosOptions};
use sqlx::AnyPool;
use std::sync::Arc;

/// Shared by axum handlers (as router state) and server functions (as Leptos context). It is
/// cloned several times per request (each middleware's `State`, the Leptos context), so it is
/// one `Arc`: a clone is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: AnyPool,
    pub settings: Settings,
    /// Encrypts TOTP keys before they reach the database.
    pub secret_box: SecretBox,
    /// Who each signed-in session belongs to (see `identities`).
    pub identities: Identities,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// leptos_axum's handlers take the options from the router state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Settings of the sign-in flows that an operator may change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The name authenticator apps show above the code (the otpauth `issuer`).
    pub issuer: String,
    /// How long after a full sign-in or re-authentication sensitive changes are allowed.
    pub reauthentication_window_seconds: i64,
    /// The one-time-password parameters new enrollments get.
    pub otp_policy: OtpParams,
    /// Whether anyone may create an account (`REGISTRATION=open`), or only the operator.
    pub registration_open: bool,
    /// How many accounts one client address may create per hour.
    pub registrations_per_address_per_hour: u32,
    /// Whether cookies are `Secure` (the site is served over https): the device cookie then
    /// takes the `__Host-` prefix like the session's.
    pub secure_cookies: bool,
    /// How long a password check may wait for a hashing thread before it is answered 503
    /// (`passwords::MAX_WAIT`; not an operator setting: tests shorten it to make the server busy).
    pub password_wait: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "TwoFactorSignin".to_owned(),
            reauthentication_window_seconds: 10 * 60,
            otp_policy: OtpParams::default(),
            registration_open: true,
            registrations_per_address_per_hour: 20,
            secure_cookies: false,
            password_wait: crate::server::passwords::MAX_WAIT,
        }
    }
}

/// The app state from the Leptos context of the current request.
pub fn app_state() -> Result<AppState, AuthError> {
    use_context::<AppState>()
        .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("AppState missing from the Leptos context")))
}

/// What every server function starts from: the app state and the session of its request.
pub async fn request_context() -> Result<(AppState, AuthSession), AuthError> {
    Ok((app_state()?, AuthSession::current().await?))
}
