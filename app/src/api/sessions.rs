//! `POST /api/sessions/end`: one other session of the account ends ("End" on
//! `/account/sessions`). Ending every other one at once is `POST /api/logout/others`
//! (`sign_in.rs`). `POST /api/devices/forget`: one remembered device is forgotten ("Forget").

use super::Done;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// `session`: the handle the session list shows for it. Needs a recent sign-in; a handle that
/// is not one of this account's other sessions is a 404, whatever it names.
#[server(endpoint = "sessions/end")]
pub async fn end_session(session: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::SESSIONS);
    let (state, request_session) = request_context()?;
    domain::flows::sessions::end_session(&state, &request_session, state.sessions(), session).await?;
    form.next(paths::SESSIONS, Some("That session is signed out."));
    Ok(Done {})
}

/// `POST /api/devices/forget`: one remembered device of the account is forgotten ("Forget" on
/// `/account/sessions`): the password alone signs in there no more. `device`: the handle the
/// list shows for it; one that is not among this account's devices is a 404, whatever it names.
#[server(endpoint = "devices/forget")]
pub async fn forget_device(device: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::SESSIONS);
    let (state, request_session) = request_context()?;
    domain::flows::remembered_devices::forget(&state, &request_session, device).await?;
    form.next(paths::SESSIONS, Some("That device is forgotten: it will be asked for a code again."));
    Ok(Done {})
}
