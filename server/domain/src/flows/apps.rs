//! The OpenID Connect apps that hold access to an account ("Apps you use"), and taking that
//! access back: every token one app holds for the account, revoked at once.

use super::session::SessionData;
use crate::{
    error::AuthError, input, openid::store::grants, services::Services, storage::security_log::Event, visitor::Visitor,
};

pub use crate::openid::store::grants::AppHolding;

/// The most apps a list shows.
pub const LISTED_AT_MOST: i64 = 50;

/// The apps holding live tokens (an access token not expired, a refresh token not used) for the
/// visitor's account, by name; at most `LISTED_AT_MOST`.
pub async fn your_apps(services: &Services, session: &impl SessionData) -> Result<Vec<AppHolding>, AuthError> {
    let visitor = Visitor::of(services, session).await?;
    apps_of(services, visitor.signed_in()?.user_id).await
}

/// The apps holding live tokens for any account, for an administrator (as `your_apps`).
pub async fn apps_of(services: &Services, account_id: i64) -> Result<Vec<AppHolding>, AuthError> {
    Ok(grants::apps_of(&services.db, account_id, services.now(), LISTED_AT_MOST).await?)
}

/// "Remove access": every token `client_id` holds for the visitor's account is revoked at once
/// (userinfo and the token endpoint refuse them from now on, in this process's memory too), and
/// the event is logged. An app holding nothing for the account is `NoSuchApp`. Asks no recent
/// sign-in: it only takes access away, from apps the person signed in to.
pub async fn remove_access(
    services: &Services,
    session: &impl SessionData,
    client_id: Option<String>,
) -> Result<(), AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let account_id = visitor.signed_in()?.user_id;
    let client_id = input::client_id(client_id)?;
    let now = services.now();
    let app = grants::app_of(&services.db, account_id, &client_id, now).await?.ok_or(AuthError::NoSuchApp)?;
    grants::revoke_app_of_account(&services.db, &services.access_tokens, account_id, &app.client_id, now).await?;
    services.log_key(account_id, Event::AppAccessRemoved, &app.name, session.client_address()).await;
    Ok(())
}
