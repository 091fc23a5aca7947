//! The password reset (`docs/contract/api.md`, "Password reset"): `POST /api/password/forgot`
//! mails a link, `POST /api/password/reset` sets the new password through it, and the page of a
//! link loads what it shows. With mail off none of them exists (404).

use super::Done;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The answer to every request for a link, whatever was typed and whatever came of it.
pub const LINK_REQUESTED: &str =
    "If an account matches, we have sent a link to its email address. It works for 30 minutes.";

/// What `/login` says after a reset.
pub const PASSWORD_CHANGED: &str = "Your password is changed. Sign in with it.";

/// "Forgot your password?": `login` is a username or an email address. The same answer (200
/// `{}`, or a 303 back to `/forgot-password` with `LINK_REQUESTED`) whatever it names.
#[server(endpoint = "password/forgot")]
pub async fn forgot_password(login: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::password_reset;
    let (state, session) = request_context()?;
    // Mail off: no such endpoint, and no page to go back to (a 404 to a form post too).
    password_reset::available(&state)?;
    let form = FormPost::on(paths::FORGOT_PASSWORD);
    password_reset::request(&state, &session, login).await?;
    form.next(paths::FORGOT_PASSWORD, Some(LINK_REQUESTED));
    Ok(Done {})
}

/// The new password through the link `token`; with 2FA on, `otp` (a code, or a recovery code)
/// or `recovery_code` too. Nobody is signed in after it: a browser goes to `/login`.
#[server(endpoint = "password/reset")]
pub async fn reset_password(
    token: Option<String>,
    password: Option<String>,
    otp: Option<String>,
    recovery_code: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::password_reset;
    let (state, session) = request_context()?;
    password_reset::available(&state)?;
    let form = FormPost::on_path(paths::reset_password(token.as_deref().unwrap_or_default()));
    password_reset::complete(&state, &session, token, password, otp, recovery_code).await?;
    form.next(paths::LOGIN, Some(PASSWORD_CHANGED));
    Ok(Done {})
}

/// What the page of a reset link shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ResetLink {
    /// The form: the new password, and the second factor when `two_factor`.
    Open {
        two_factor: bool,
        /// An authenticator app: the code field.
        app: bool,
        digits: usize,
        /// Security keys (not used on this page: a recovery code stands in).
        security_keys: bool,
    },
    /// Used, replaced, expired or unknown (410): the message says so.
    Gone(String),
    /// Mail is off: there is no such page (404).
    NoSuchPage,
}

#[server(endpoint = "ui/password-reset")]
pub async fn load_reset_link(token: String) -> Result<ResetLink, ApiError> {
    use crate::server::session::request_context;
    use domain::{flows::password_reset, AuthError};
    let (state, _session) = request_context()?;
    match password_reset::open(&state, &token).await {
        Ok(open) => Ok(ResetLink::Open {
            two_factor: open.two_factor,
            app: open.app,
            digits: open.digits,
            security_keys: open.security_keys,
        }),
        Err(AuthError::NotFound) => Ok(ResetLink::NoSuchPage),
        Err(gone @ AuthError::ResetLinkGone) => Ok(ResetLink::Gone(gone.to_string())),
        Err(e) => Err(e.into()),
    }
}
