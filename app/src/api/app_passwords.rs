//! `POST /api/app-passwords/create` and `POST /api/app-passwords/revoke`: "App passwords" on
//! `/account/apps` (`docs/contract/api.md`). An app password is shown once: in the JSON answer,
//! and, for a browser, in the one-shot message of the page it goes back to.

use super::{AppPasswordCreated, Done};
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// `name` (1 to 64 characters), `days` (empty: no expiry), `hosts` (comma-separated; empty: any
/// host whose rule allows app passwords). Needs a recent sign-in.
#[server(endpoint = "app-passwords/create")]
pub async fn create_app_password(
    name: Option<String>,
    days: Option<String>,
    hosts: Option<String>,
) -> Result<AppPasswordCreated, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::APPS);
    let (state, session) = request_context()?;
    let shown_name = name.clone().unwrap_or_default();
    let created = domain::flows::app_passwords::create(&state, &session, name, days, hosts).await?;
    form.next(
        paths::APPS,
        Some(&format!(
            "Your new app password \u{201c}{}\u{201d}: {} \u{2014} copy it now: it is not shown again.",
            shown_name.trim(),
            created.secret
        )),
    );
    Ok(AppPasswordCreated { app_password: created.secret, id: created.id })
}

/// `id`: the app password, as the list names it. Another account's, or one revoked already: 404.
#[server(endpoint = "app-passwords/revoke")]
pub async fn revoke_app_password(id: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::APPS);
    let (state, session) = request_context()?;
    domain::flows::app_passwords::revoke(&state, &session, id).await?;
    form.next(paths::APPS, Some("The app password is revoked: it opens nothing any more."));
    Ok(Done {})
}
