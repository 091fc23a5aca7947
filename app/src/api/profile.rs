//! `POST /api/profile`: the display name and email the forward-auth gate passes to the apps
//! behind it; `POST /api/profile/verification-link`: "Send the link again" for an address not
//! verified yet (mail on).

use super::Done;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;

/// What the profile page says once a verification link is on its way.
#[cfg(feature = "ssr")]
fn link_sent(address: &str) -> String {
    format!(
        "A link to verify your address was sent to {address}. Open it within 30 minutes, signed in to this account."
    )
}

#[server(endpoint = "profile")]
pub async fn save_profile(display_name: Option<String>, email: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::PROFILE);
    let (state, session) = request_context()?;
    let saved = domain::flows::profile::save(&state, &session, display_name, email).await?;
    let message = match saved.link_sent_to {
        Some(address) => format!("Your profile is saved. {}", link_sent(&address)),
        None => "Your profile is saved.".to_owned(),
    };
    form.next(paths::PROFILE, Some(&message));
    Ok(Done {})
}

#[server(endpoint = "profile/verification-link")]
pub async fn send_verification_link() -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::{flows::session::SessionData, visitor::Visitor};
    let form = FormPost::on(paths::PROFILE);
    let (state, session) = request_context()?;
    let visitor = Visitor::of(&state, &session).await?;
    let address =
        domain::flows::email_verification::send_again(&state, visitor.signed_in()?, session.requester()).await?;
    form.next(paths::PROFILE, Some(&link_sent(&address)));
    Ok(Done {})
}
