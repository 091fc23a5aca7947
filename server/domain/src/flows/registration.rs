//! Registration: a new account, signed in at once. Refused when registration is closed (the
//! operator makes accounts), and throttled per client address before any hashing work.

use super::session::{self, SessionData};
use crate::{
    error::AuthError,
    input,
    services::Services,
    storage::{accounts, security_log::Event, throttle},
};

/// Creates the account and signs it in. Returns the username as it will be displayed.
#[tracing::instrument(skip_all)]
pub async fn register(
    services: &Services,
    session: &impl SessionData,
    username: Option<String>,
    password: Option<String>,
) -> Result<String, AuthError> {
    if !services.settings.registration_open {
        return Err(AuthError::RegistrationClosed);
    }
    let name = input::new_username(username)?;
    let password = input::new_password(password)?;
    let db = &services.db;
    // A taken name is answered before any hashing work (409 is the documented exception to
    // "no enumeration"); the unique index still decides between two concurrent registrations.
    if accounts::find_by_username(db, &services.secret_box, &name).await?.is_some() {
        return Err(AuthError::UsernameTaken);
    }
    let address = session.client_address();
    let per_hour = services.settings.registrations_per_address_per_hour;
    throttle::reserve_registration(db, address, per_hour, services.now()).await?;
    let created = async {
        let hash = services.passwords.hash(password).await?;
        accounts::create(db, &name, &hash, services.now()).await?.ok_or(AuthError::UsernameTaken)
    }
    .await;
    let id = match created {
        Ok(id) => id,
        Err(e) => {
            // Only accounts made count against the address.
            if let Err(give_back) = throttle::give_back_registration(db, address).await {
                tracing::warn!(error = %give_back, "could not give back a registration that made no account");
            }
            return Err(e);
        }
    };
    tracing::info!(user_id = id, "account registered");
    services.log(id, Event::Registered, address).await;
    session::complete_sign_in(session, id, 0, services.now()).await?;
    Ok(name.as_str().to_owned())
}
