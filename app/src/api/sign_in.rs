//! The sign-in endpoints: `POST /api/login`, `/api/login/2fa`, `/api/login/recovery`,
//! `/api/logout`, `/api/logout/others` and `/api/me`.

use super::{Done, PasswordAccepted};
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// The password step. `rd`: the page a protected app sent the visitor from, followed once the
/// sign-in completes when it is a valid target.
#[server(endpoint = "login")]
pub async fn login(
    username: Option<String>,
    password: Option<String>,
    rd: Option<String>,
) -> Result<PasswordAccepted, ApiError> {
    use crate::server::{device_cookie, form_reply::FormPost, session::request_context};
    use domain::flows::{
        return_to::{self, ReturnTo},
        sign_in,
    };
    let form = FormPost::on(paths::LOGIN);
    let (state, session) = request_context()?;
    let rd = ReturnTo::from_field(rd.as_deref(), &state.settings);
    let form = form.carrying(rd.as_ref());
    let outcome = sign_in::password_step(&state, &session, username, password).await?;
    // The browser is now known to this account: its later attempts count on their own.
    device_cookie::hand_out(&outcome.device_token, state.settings.secure_cookies);
    if outcome.second_factor {
        form.next(&return_to::carried(paths::SECOND_FACTOR, rd.as_ref()), None);
    } else {
        let next = paths::landing(return_to::after_sign_in(
            rd.as_ref(),
            &state.settings,
            &outcome.visitor,
            session.client_ip(&state.settings.trusted_proxies),
        ));
        form.next(&next, Some("You are signed in."));
    }
    Ok(PasswordAccepted { second_factor: outcome.second_factor })
}

/// The second step with a code. `remember_device` (the checkbox "Don't ask again on this
/// device"): ticked, the browser is remembered for the account once the code is right.
#[server(endpoint = "login/2fa")]
pub async fn login_second_factor(
    otp: Option<String>,
    rd: Option<String>,
    remember_device: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::return_to::{self, ReturnTo};
    let form = FormPost::on(paths::SECOND_FACTOR);
    let (state, session) = request_context()?;
    let rd = ReturnTo::from_field(rd.as_deref(), &state.settings);
    let form = form.carrying(rd.as_ref());
    domain::flows::sign_in::code_step(&state, &session, otp).await?;
    remember_if_asked(&state, &session, remember_device.as_deref()).await?;
    form.next(&paths::landing(return_to::after_second_factor(rd.as_ref())), Some("You are signed in."));
    Ok(Done {})
}

/// The second step with a recovery code; `remember_device` as for a code.
#[server(endpoint = "login/recovery")]
pub async fn login_recovery(
    recovery_code: Option<String>,
    rd: Option<String>,
    remember_device: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::return_to::{self, ReturnTo};
    let form = FormPost::on(paths::SECOND_FACTOR);
    let (state, session) = request_context()?;
    let rd = ReturnTo::from_field(rd.as_deref(), &state.settings);
    let form = form.carrying(rd.as_ref());
    domain::flows::sign_in::recovery_step(&state, &session, recovery_code).await?;
    remember_if_asked(&state, &session, remember_device.as_deref()).await?;
    form.next(&paths::landing(return_to::after_second_factor(rd.as_ref())), Some("You are signed in."));
    Ok(Done {})
}

/// After a second step that signed the session in: when `remember_device` is ticked (and
/// `REMEMBER_DEVICE_DAYS` is not 0), the browser is remembered and handed its cookie. Shared by
/// the code, recovery-code and security-key steps.
#[cfg(feature = "ssr")]
pub(crate) async fn remember_if_asked(
    state: &crate::server::state::AppState,
    session: &crate::server::session::RequestSession,
    remember_device: Option<&str>,
) -> Result<(), ApiError> {
    use crate::server::remember_cookie;
    if !domain::input::checked(remember_device) {
        return Ok(());
    }
    if let Some(device) = domain::flows::remembered_devices::remember(
        state,
        session,
        domain::flows::session::SessionData::user_agent(session),
    )
    .await?
    {
        remember_cookie::hand_over(&device, state.settings.secure_cookies);
    }
    Ok(())
}

/// Signs out; `rd` (a valid target) is where the browser goes next, else `/login`.
#[server(endpoint = "logout")]
pub async fn logout(rd: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::flows::return_to::ReturnTo;
    let form = FormPost::on(paths::HOME);
    let (state, session) = request_context()?;
    domain::flows::sessions::sign_out(&session).await?;
    let next = ReturnTo::from_field(rd.as_deref(), &state.settings);
    form.next(next.as_ref().map_or(paths::LOGIN, ReturnTo::as_str), Some("You are signed out."));
    Ok(Done {})
}

/// Ends every other session of the account (this one stays signed in).
#[server(endpoint = "logout/others")]
pub async fn sign_out_other_sessions() -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::SESSIONS);
    let (state, session) = request_context()?;
    domain::flows::sessions::sign_out_other_sessions(&state, &session).await?;
    form.next(paths::SESSIONS, Some("Every other session of your account is signed out."));
    Ok(Done {})
}

/// `POST /api/me`: who is signed in (401 unless fully signed in). A plain axum handler, not a
/// server function: it is the request signed-in clients repeat, so it skips the server-function
/// dispatch (reactive owner, contexts, codec). The router mounts it at the same path, behind the
/// same layers, and it answers as `docs/contract/api.md` says.
#[cfg(feature = "ssr")]
pub async fn me(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    axum::Extension(session): axum::Extension<tower_sessions::Session>,
) -> axum::response::Response {
    use crate::server::{session::RequestSession, wire_error::error_response};
    use axum::response::IntoResponse;
    let session = RequestSession::new(session, None);
    let visitor = match domain::visitor::Visitor::of(&state, &session).await {
        Ok(visitor) => visitor,
        Err(e) => return error_response(e),
    };
    match visitor.signed_in() {
        Ok(signed_in) => {
            let identity = &signed_in.identity;
            axum::Json(super::CurrentUser { two_factor: identity.two_factor, username: identity.username.clone() })
                .into_response()
        }
        Err(e) => error_response(e),
    }
}
