//! `/invite/{token}`: an invitation link's registration form, and the account it makes
//! (`docs/contract/console.md`, "Invitations").

use super::Registered;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// Whether the link is open: `Ok` to show the form, 410 when it was used, revoked or expired.
#[server(endpoint = "ui/invitation")]
pub async fn load_invitation(token: String) -> Result<super::Done, ApiError> {
    use crate::server::session::request_context;
    let (state, _session) = request_context()?;
    domain::console::invitations::check(&state, &token).await?;
    Ok(super::Done {})
}

#[server(endpoint = "invitation/register")]
pub async fn register_with_invitation(
    token: Option<String>,
    username: Option<String>,
    password: Option<String>,
) -> Result<Registered, ApiError> {
    use crate::server::{device_cookie, form_reply::FormPost, session::request_context};
    use domain::console::invitations::{self, AfterInvitation};
    let token = token.unwrap_or_default();
    let form = FormPost::on_path(format!("{}{}", paths::INVITATION_PREFIX, crate::uri::encode_component(&token)));
    let (state, session) = request_context()?;
    let (username, next) = invitations::register(&state, &session, &token, username, password).await?;
    device_cookie::hand_out_new(&state.secret_box, &username, state.settings.secure_cookies);
    match next {
        AfterInvitation::TwoFactorSetup => form.next(
            paths::TWO_FACTOR_SETUP,
            Some("Welcome! This invitation asks you to turn on two-factor authentication first."),
        ),
        AfterInvitation::Account => form.next(paths::ACCOUNT, Some("Welcome! Your account is ready.")),
    }
    Ok(Registered { username })
}
