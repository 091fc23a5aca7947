//! `POST /api/profile`: the display name and email the forward-auth gate passes to the apps
//! behind it.

use super::Done;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

#[server(endpoint = "profile")]
pub async fn save_profile(display_name: Option<String>, email: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::PROFILE);
    let (state, session) = request_context()?;
    domain::flows::profile::save(&state, &session, display_name, email).await?;
    form.next(paths::PROFILE, Some("Your profile is saved."));
    Ok(Done {})
}
