//! `POST /api/apps/revoke`: "Remove access" on `/account/apps` — every token an OpenID Connect
//! app holds for the account is revoked at once.

use super::Done;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// `client_id`: the app, as the list names it. An app holding nothing for the account is a 404.
#[server(endpoint = "apps/revoke")]
pub async fn remove_app_access(client_id: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::APPS);
    let (state, session) = request_context()?;
    domain::flows::apps::remove_access(&state, &session, client_id).await?;
    form.next(paths::APPS, Some("The app's access to your account is removed. It must ask you to sign in again."));
    Ok(Done {})
}
