//! The person's profile: an optional display name and email, which the forward-auth gate passes
//! to the apps behind it (`Remote-Name`, `Remote-Email`).

use super::{current_user, session::SessionData};
use crate::{error::AuthError, input, services::Services, storage::accounts};

/// Saves the signed-in person's display name and email (empty: none).
pub async fn save(
    services: &Services,
    session: &impl SessionData,
    display_name: Option<String>,
    email: Option<String>,
) -> Result<(), AuthError> {
    let account = current_user::signed_in_account(services, session).await?;
    let display_name = input::display_name(display_name)?;
    let email = input::email(email)?;
    accounts::set_profile(&services.db, account.id, display_name.as_deref(), email.as_deref()).await?;
    // The gate and the kept account page read the profile from the cached identity.
    services.identities.forget(account.id);
    Ok(())
}
