//! Remembered devices ("Don't ask again on this device for N days"): after a sign-in with two
//! factors, a browser may be remembered for the account; there the password alone then
//! completes that account's sign-in (`Factors::PasswordOnRememberedDevice`, `amr` `pwd
//! remembered`) until the device expires or is forgotten. The owner sees and forgets them on
//! `/account/sessions`; every change that takes the second factor or the sessions away forgets
//! them all (`storage::remembered_devices::FORGET_ACCOUNT`).
//!
//! Invariants: a device counts only together with the account's right password (the password
//! step asks it, nothing else does); only for the account its token was sealed for; only while
//! its record lives (not expired, not forgotten); and never when `REMEMBER_DEVICE_DAYS` is 0.

use super::session::SessionData;
use crate::{
    credentials::remembered_device,
    error::AuthError,
    input,
    services::Services,
    storage::{remembered_devices, security_log::Event},
    user_agent,
    visitor::{Factors, Visitor},
};

/// A device just remembered: what the browser's cookie is to hold, and for how long. Not
/// `Debug`: the value is a secret.
pub struct NewDevice {
    pub cookie_value: String,
    pub max_age_seconds: i64,
}

/// A remembered device as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSummary {
    /// What "Forget" sends back: it names this device among its own account's only.
    pub handle: String,
    /// "Chrome on Linux" (`user_agent::describe`).
    pub browser: String,
    /// The address it was remembered from.
    pub client_address: Option<String>,
    pub remembered_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    /// The browser asking for the list.
    pub this_device: bool,
}

/// Whether the browser of `session` is a remembered device of `account_id` (asked by the
/// password step, after the right password only). When it is, its last use becomes now.
pub async fn recognises(services: &Services, session: &impl SessionData, account_id: i64) -> Result<bool, AuthError> {
    if services.settings.remember_device_days == 0 {
        return Ok(false);
    }
    let Some(hash) = presented_hash(services, session, account_id) else { return Ok(false) };
    Ok(remembered_devices::use_device(&services.db, account_id, &hash, services.now()).await?)
}

/// Remembers the browser of `session` for the account it has just signed in to with a second
/// factor (a code, a recovery code, a security key or a passkey); `user_agent`: its header.
/// `None` when remembered devices are off. A sign-in on a remembered device cannot remember
/// itself again (its days would never end), nor can a password alone.
pub async fn remember(
    services: &Services,
    session: &impl SessionData,
    user_agent: Option<&str>,
) -> Result<Option<NewDevice>, AuthError> {
    let days = services.settings.remember_device_days;
    if days == 0 {
        return Ok(None);
    }
    let visitor = Visitor::of(services, session).await?;
    let signed_in = visitor.recently_signed_in(services)?;
    if !signed_in.factors.two() || signed_in.factors == Factors::PasswordOnRememberedDevice {
        return Err(AuthError::NotSignedIn);
    }
    let token = remembered_device::issue(&services.secret_box, signed_in.user_id)?;
    let now = services.now();
    let user_agent = user_agent.and_then(user_agent::shorten);
    let address = session.client_address();
    remembered_devices::remember(
        &services.db,
        signed_in.user_id,
        &token.hash,
        &remembered_device::handle_of(&token.hash),
        user_agent.as_deref(),
        address,
        now,
        remembered_device::expires_at(now, days),
    )
    .await?;
    let browser = user_agent::describe(user_agent.as_deref());
    services.log_key(signed_in.user_id, Event::DeviceRemembered, &browser, address).await;
    Ok(Some(NewDevice {
        cookie_value: token.cookie_value,
        max_age_seconds: i64::from(days) * remembered_device::DAY_SECONDS,
    }))
}

/// The signed-in account's remembered devices, the most recently used first; this browser's
/// marked.
pub async fn your_devices(services: &Services, session: &impl SessionData) -> Result<Vec<DeviceSummary>, AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let account_id = visitor.signed_in()?.user_id;
    let this_device = presented_hash(services, session, account_id);
    let stored = remembered_devices::list(&services.db, account_id, services.now()).await?;
    Ok(stored
        .into_iter()
        .map(|d| DeviceSummary {
            this_device: this_device.as_deref() == Some(d.token_hash.as_str()),
            handle: d.handle,
            browser: user_agent::describe(d.user_agent.as_deref()),
            client_address: d.client_address,
            remembered_at: d.created_at,
            last_used_at: d.last_used_at,
            expires_at: d.expires_at,
        })
        .collect())
}

/// Forgets one remembered device of the signed-in account ("Forget"), named by its `handle`.
/// Forgetting only takes away, so a recent sign-in is not asked for. A handle that names none
/// of the account's devices — forgotten already, or another account's — is `NoSuchDevice`, the
/// same answer whatever the reason.
pub async fn forget(services: &Services, session: &impl SessionData, handle: Option<String>) -> Result<(), AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let account_id = visitor.signed_in()?.user_id;
    let handle = input::device_handle(handle)?;
    let Some(user_agent) = remembered_devices::forget(&services.db, account_id, &handle).await? else {
        return Err(AuthError::NoSuchDevice);
    };
    let browser = user_agent::describe(user_agent.as_deref());
    services.log_key(account_id, Event::RememberedDeviceForgotten, &browser, session.client_address()).await;
    Ok(())
}

fn presented_hash(services: &Services, session: &impl SessionData, account_id: i64) -> Option<String> {
    remembered_device::presented_hash(&services.secret_box, session.remembered_device_token()?, account_id)
}
