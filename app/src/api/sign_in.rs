//! The sign-in endpoints: `POST /api/login`, `/api/login/2fa`, `/api/login/recovery`,
//! `/api/logout`, `/api/logout/others` and `/api/me`.

use super::{Done, PasswordAccepted};
use crate::api_error::ApiError;
use leptos::prelude::*;

#[server(endpoint = "login")]
pub async fn login(username: Option<String>, password: Option<String>) -> Result<PasswordAccepted, ApiError> {
    use crate::server::{error::respond, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        let outcome = sign_in::password_step(&state, &session, username, password).await?;
        // The browser is now known to this account: its later attempts count on their own.
        let cookie = crate::server::device_cookie::set_cookie(&outcome.device_token, state.settings.secure_cookies);
        if let (Ok(cookie), Some(options)) =
            (http::HeaderValue::from_str(&cookie), use_context::<leptos_axum::ResponseOptions>())
        {
            options.append_header(http::header::SET_COOKIE, cookie);
        }
        Ok(PasswordAccepted { second_factor: outcome.second_factor })
    }
    .await
    .map_err(respond)
}

#[server(endpoint = "login/2fa")]
pub async fn login_second_factor(otp: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{error::respond, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        sign_in::code_step(&state, &session, otp).await?;
        Ok(Done {})
    }
    .await
    .map_err(respond)
}

#[server(endpoint = "login/recovery")]
pub async fn login_recovery(recovery_code: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{error::respond, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        sign_in::recovery_step(&state, &session, recovery_code).await?;
        Ok(Done {})
    }
    .await
    .map_err(respond)
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<Done, ApiError> {
    use crate::server::{auth_session::AuthSession, error::respond};
    async {
        AuthSession::current().await?.sign_out().await?;
        Ok(Done {})
    }
    .await
    .map_err(respond)
}

/// Ends every other session of the account (this one stays signed in).
#[server(endpoint = "logout/others")]
pub async fn sign_out_other_sessions() -> Result<Done, ApiError> {
    use crate::server::{error::respond, state::request_context, two_factor};
    async {
        let (state, session) = request_context().await?;
        two_factor::sign_out_other_sessions(&state, &session).await?;
        Ok(Done {})
    }
    .await
    .map_err(respond)
}

/// `POST /api/me`: who is signed in (401 unless fully signed in). A plain axum handler, not a
/// server function: it is the request signed-in clients repeat, and the server-function
/// dispatch (reactive owner, contexts, codec) cost it as much again as all the rest
/// (bench/results.md). The router mounts it at the same path, behind the same layers.
#[cfg(feature = "ssr")]
pub async fn me(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    axum::Extension(session): axum::Extension<tower_sessions::Session>,
) -> Result<axum::Json<super::CurrentUser>, crate::server::error::AuthError> {
    use crate::server::{auth_session::AuthSession, sign_in};
    let session = AuthSession::new(session, None);
    let identity = sign_in::signed_in_identity(&state, &session).await?;
    Ok(axum::Json(super::CurrentUser { two_factor: identity.two_factor, username: identity.username.clone() }))
}
