//! Passkeys: a key made as a discoverable credential with user verification, so that it signs
//! in alone, with no username and no password (the key is something held, and the PIN or
//! biometric that unlocked it is the second factor: `Factors::Passkey`, `amr` `hwk user mfa`).
//!
//! Adding one is adding a security key (a recent sign-in; the first key turns 2FA on and makes
//! the recovery codes), through webauthn-rs's passkey registration, which requires user
//! verification; the challenge also asks for a resident (discoverable) credential, so the key
//! can name the account itself. Signing in is webauthn-rs's discoverable ceremony
//! (`start_discoverable_authentication`): the answer carries the account's user handle and the
//! credential's id, only a key added as a passkey is looked for, and user verification is
//! required by the challenge and checked again on the result.
//!
//! `PASSKEYS=off` refuses all of it (`passkeys_on`); security keys as a second factor are
//! another flow (`security_keys`) and keep working.

use super::{
    security_keys::{
        answer, ceremony_key, counted, keep_registration, key_name, new_key_for, store_new_key, to_json, Challenge,
        KeyAdded, NewKeyFor, Step,
    },
    session::{self, SessionData},
};
use crate::{
    credentials::security_key::{counter_moved_on, signature_counter, CEREMONY_SECONDS},
    error::AuthError,
    services::Services,
    storage::{
        accounts,
        security_keys::{self, Purpose},
        security_log::Event,
    },
    visitor::Visitor,
};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, SecurityKey,
};

fn passkeys_on(services: &Services) -> Result<(), AuthError> {
    if services.settings.passkeys {
        Ok(())
    } else {
        Err(AuthError::BadInput("Passkeys are turned off on this service. Sign in with your password.".into()))
    }
}

/// A passkey and a security key are the same credential in webauthn-rs's two wrappers (one
/// serialised form): the stored form is read as either.
fn rewrap<From: serde::Serialize, To: serde::de::DeserializeOwned>(key: &From) -> Result<To, AuthError> {
    serde_json::to_value(key)
        .and_then(serde_json::from_value)
        .map_err(|e| AuthError::unexpected(format!("a passkey's credential: {e}")))
}

/// The registration options, asking for a discoverable credential (webauthn-rs's passkey
/// registration leaves that to the authenticator): a passkey must name its account itself.
fn discoverable(options: &impl serde::Serialize) -> Result<String, AuthError> {
    let mut options =
        serde_json::to_value(options).map_err(|e| AuthError::unexpected(format!("passkey options: {e}")))?;
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection").and_then(|s| s.as_object_mut()) {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
        selection.insert("userVerification".into(), "required".into());
    }
    Ok(options.to_string())
}

/// Starts adding a passkey named `name` (a recent sign-in needed).
#[tracing::instrument(skip_all)]
pub async fn start_adding(
    services: &Services,
    session: &impl SessionData,
    name: Option<String>,
) -> Result<Challenge, AuthError> {
    counted(
        "register_passkey",
        Step::Start,
        async move {
            passkeys_on(services)?;
            let name = key_name(name)?;
            let NewKeyFor { account, handle, exclude } = new_key_for(services, session).await?;
            let (options, state) = services
                .relying_party
                .get()?
                .start_passkey_registration(handle, &account.username, &account.username, Some(exclude))
                .map_err(|e| AuthError::unexpected(format!("starting a passkey registration: {e}")))?;
            keep_registration(services, session, account.id, Purpose::AddPasskey, &name, &state).await?;
            Ok(Challenge { options_json: discoverable(&options)? })
        }
        .await,
    )
}

/// Finishes adding a passkey with the browser's answer (made with user verification).
#[tracing::instrument(skip_all)]
pub async fn finish_adding(
    services: &Services,
    session: &impl SessionData,
    credential: Option<String>,
) -> Result<KeyAdded, AuthError> {
    counted(
        "register_passkey",
        Step::Finish,
        async move {
            passkeys_on(services)?;
            let reply: RegisterPublicKeyCredential = answer(credential)?;
            let account = Visitor::of(services, session).await?.recent_account(services).await?;
            let at = ceremony_key(session, Purpose::AddPasskey).await?;
            let now = services.now();
            let (name, state) = security_keys::take_ceremony::<PasskeyRegistration>(
                &services.db,
                &at,
                account.id,
                Purpose::AddPasskey,
                now,
            )
            .await?
            .ok_or(AuthError::NoPendingSecurityKeyRequest)?;
            let passkey = services.relying_party.get()?.finish_passkey_registration(&reply, &state).map_err(|e| {
                tracing::info!(error = %e, "a passkey registration was refused");
                AuthError::SecurityKeyRejected
            })?;
            let key: SecurityKey = rewrap(&passkey)?;
            store_new_key(services, session, &account, name.unwrap_or_default(), &key, true).await
        }
        .await,
    )
}

/// A passkey sign-in's challenge: no username, a discoverable credential, user verification
/// required.
#[tracing::instrument(skip_all)]
pub async fn start_sign_in(services: &Services, session: &impl SessionData) -> Result<Challenge, AuthError> {
    counted(
        "passkey_sign_in",
        Step::Start,
        async move {
            passkeys_on(services)?;
            let (options, state) = services
                .relying_party
                .get()?
                .start_discoverable_authentication()
                .map_err(|e| AuthError::unexpected(format!("starting a passkey sign-in: {e}")))?;
            let at = ceremony_key(session, Purpose::PasskeySignIn).await?;
            let expires_at = services.now() + CEREMONY_SECONDS;
            security_keys::begin_passkey_sign_in(&services.db, &at, &state, expires_at).await?;
            Ok(Challenge { options_json: to_json(&options)? })
        }
        .await,
    )
}

/// Finishes a passkey sign-in: the account the passkey names is signed in, with both factors,
/// under a new session id. Any failure is the same refusal (nothing says whether an account or
/// a key exists).
#[tracing::instrument(skip_all)]
pub async fn finish_sign_in(
    services: &Services,
    session: &impl SessionData,
    credential: Option<String>,
) -> Result<(), AuthError> {
    counted(
        "passkey_sign_in",
        Step::Finish,
        async move {
            passkeys_on(services)?;
            let reply: PublicKeyCredential = answer(credential)?;
            let (db, now) = (&services.db, services.now());
            let at = ceremony_key(session, Purpose::PasskeySignIn).await?;
            let state: DiscoverableAuthentication = security_keys::take_passkey_sign_in(db, &at, now)
                .await?
                .ok_or(AuthError::NoPendingSecurityKeyRequest)?;
            let party = services.relying_party.get()?;
            let refused = |why: &str| {
                tracing::info!(why, "a passkey sign-in was refused");
                AuthError::SecurityKeyRejected
            };
            let (handle, credential_id) =
                party.identify_discoverable_authentication(&reply).map_err(|_| refused("no user handle"))?;
            let (account_id, stored) = security_keys::find_passkey(db, &handle.to_string(), credential_id)
                .await?
                .ok_or_else(|| refused("no such passkey"))?;
            let passkey: Passkey = rewrap(&stored.credential)?;
            #[allow(deprecated)] // `_v2` takes the `Credential` that only `danger-credential-internals` names.
            let result = party
                .finish_discoverable_authentication(&reply, state, &[DiscoverableKey::from(&passkey)])
                .map_err(|_| refused("the answer did not verify"))?;
            if !result.user_verified() {
                return Err(refused("no user verification"));
            }
            if !counter_moved_on(signature_counter(&stored.credential)?, result.counter()) {
                return Err(refused("the signature counter did not move on (a copied key?)"));
            }
            let mut updated = stored.credential.clone();
            updated.update_credential(&result);
            if !security_keys::record_use(db, &stored, &updated, now).await? {
                return Err(refused("the key was used or removed meanwhile"));
            }
            let account = accounts::find_by_id(db, &services.secret_box, account_id)
                .await?
                .filter(|account| !account.disabled)
                .ok_or_else(|| refused("the account is gone or disabled"))?;
            services.log_key(account.id, Event::SignedInWithPasskey, &stored.name, session.client_address()).await;
            session::complete_sign_in(session, account.id, account.session_epoch, now).await?;
            session.mark_signed_in_with_passkey().await
        }
        .await,
    )
}
