//! `POST /api/register`.

use super::Registered;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

#[server(endpoint = "register")]
pub async fn register(username: Option<String>, password: Option<String>) -> Result<Registered, ApiError> {
    use crate::server::{device_cookie, form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::REGISTER);
    let (state, session) = request_context()?;
    let username = domain::flows::registration::register(&state, &session, username, password).await?;
    device_cookie::hand_out_new(&state.secret_box, &username, state.settings.secure_cookies);
    form.next(paths::ACCOUNT, Some("Welcome! Your account is ready."));
    Ok(Registered { username })
}
