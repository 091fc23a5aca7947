//! `POST /api/register`.

use super::Registered;
use crate::api_error::ApiError;
use leptos::prelude::*;

#[server(endpoint = "register")]
pub async fn register(username: Option<String>, password: Option<String>) -> Result<Registered, ApiError> {
    use crate::server::{error::respond, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        let username = sign_in::register(&state, &session, username, password).await?;
        Ok(Registered { username })
    }
    .await
    .map_err(respond)
}
