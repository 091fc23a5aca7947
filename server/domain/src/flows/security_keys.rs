//! Security keys (WebAuthn) as a second factor: adding one (a recent sign-in needed; the first
//! one turns 2FA on and makes the recovery codes), removing one (the last second factor needs
//! the password and a factor, like turning 2FA off), and signing in with one after the password.
//!
//! Each is a ceremony of two requests: the challenge, then the key's answer. The challenge's
//! state is kept in the database (`storage::security_keys`), bound to the session that asked,
//! single-use and good for 5 minutes. A failed answer at sign-in counts on the same per-account
//! throttle and lock as a wrong code.

use super::{
    account_change, reauthentication,
    second_factor::{self},
    session::{self, SessionData},
};
use crate::{
    credentials::{
        recovery_codes,
        secret_box::sha256_hex,
        security_key::{counter_moved_on, signature_counter, CEREMONY_SECONDS},
    },
    error::AuthError,
    services::Services,
    storage::{
        accounts::{self, Account},
        security_keys::{self, Added, Purpose, Removed, StoredKey},
        security_log::Event,
        throttle::{self, SecondFactorKind},
    },
    visitor::Visitor,
};
use webauthn_rs::prelude::{
    CredentialID, PublicKeyCredential, RegisterPublicKeyCredential, SecurityKeyAuthentication, SecurityKeyRegistration,
    Uuid, WebauthnError,
};

/// A key's name: what the owner will recognise it by ("Blue YubiKey").
pub const MAX_KEY_NAME: usize = 60;
/// A browser's answer is a few kilobytes at most.
const MAX_ANSWER: usize = 16 * 1024;

/// The challenge for the browser (`navigator.credentials.create` or `get`), as JSON.
pub struct Challenge {
    pub options_json: String,
}

/// Where this session's ceremony for `purpose` is kept: tied to a token only this session holds.
pub(super) async fn ceremony_key(session: &impl SessionData, purpose: Purpose) -> Result<String, AuthError> {
    let binding = session::setup_binding(session).await?;
    Ok(sha256_hex(format!("webauthn:{purpose:?}:{binding}").as_bytes()))
}

pub(super) fn key_name(name: Option<String>) -> Result<String, AuthError> {
    let name = name.unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        return Err(AuthError::BadInput("Give the key a name, so you can tell it from others later.".into()));
    }
    if name.chars().count() > MAX_KEY_NAME || name.chars().any(char::is_control) {
        return Err(AuthError::BadInput(format!("A key name is up to {MAX_KEY_NAME} characters, on one line.")));
    }
    Ok(name)
}

pub(super) fn answer<T: serde::de::DeserializeOwned>(credential: Option<String>) -> Result<T, AuthError> {
    let raw = credential.unwrap_or_default();
    if raw.is_empty() || raw.len() > MAX_ANSWER {
        return Err(AuthError::BadInput("The security key's answer is missing or too long.".into()));
    }
    serde_json::from_str(&raw)
        .map_err(|_| AuthError::BadInput("The security key's answer is not a WebAuthn credential.".into()))
}

pub(super) fn to_json(value: &impl serde::Serialize) -> Result<String, AuthError> {
    serde_json::to_string(value).map_err(|e| AuthError::unexpected(format!("a WebAuthn challenge: {e}")))
}

/// The account's keys, for its page.
pub async fn keys_of(services: &Services, account_id: i64) -> Result<Vec<StoredKey>, AuthError> {
    Ok(security_keys::list(&services.db, account_id).await?)
}

/// Starts adding a key named `name`: the account's keys are excluded (a key is added once).
#[tracing::instrument(skip_all)]
pub async fn start_adding(
    services: &Services,
    session: &impl SessionData,
    name: Option<String>,
) -> Result<Challenge, AuthError> {
    counted(
        "register",
        Step::Start,
        async move {
            let name = key_name(name)?;
            let NewKeyFor { account, handle, exclude } = new_key_for(services, session).await?;
            let (options, state) = services
                .relying_party
                .get()?
                .start_securitykey_registration(handle, &account.username, &account.username, Some(exclude), None, None)
                .map_err(|e| AuthError::unexpected(format!("starting a key registration: {e}")))?;
            keep_registration(services, session, account.id, Purpose::AddKey, &name, &state).await?;
            Ok(Challenge { options_json: to_json(&options)? })
        }
        .await,
    )
}

/// What a key's registration starts from: the account (with a recent sign-in), its WebAuthn
/// user handle, and its keys' ids (excluded: a key is added once).
pub(super) struct NewKeyFor {
    pub account: Account,
    pub handle: Uuid,
    pub exclude: Vec<CredentialID>,
}

pub(super) async fn new_key_for(services: &Services, session: &impl SessionData) -> Result<NewKeyFor, AuthError> {
    let account = Visitor::of(services, session).await?.recent_account(services).await?;
    let existing = security_keys::list(&services.db, account.id).await?;
    let handle = security_keys::user_handle(&services.db, account.id).await?;
    let exclude = existing.iter().map(|k| k.credential.cred_id().clone()).collect();
    Ok(NewKeyFor { account, handle, exclude })
}

/// Keeps a registration's state, bound to this session, for its answer (5 minutes).
pub(super) async fn keep_registration(
    services: &Services,
    session: &impl SessionData,
    account_id: i64,
    purpose: Purpose,
    name: &str,
    state: &impl serde::Serialize,
) -> Result<(), AuthError> {
    let at = ceremony_key(session, purpose).await?;
    let expires_at = services.now() + CEREMONY_SECONDS;
    security_keys::begin_ceremony(&services.db, &at, account_id, purpose, Some(name), state, expires_at).await?;
    Ok(())
}

/// What adding a key ended with.
pub struct KeyAdded {
    pub name: String,
    /// The recovery codes, when this key turned 2FA on: shown once.
    pub recovery_codes: Option<Vec<String>>,
}

/// Finishes adding a key with the browser's answer.
#[tracing::instrument(skip_all)]
pub async fn finish_adding(
    services: &Services,
    session: &impl SessionData,
    credential: Option<String>,
) -> Result<KeyAdded, AuthError> {
    counted(
        "register",
        Step::Finish,
        async move {
            let reply: RegisterPublicKeyCredential = answer(credential)?;
            let account = Visitor::of(services, session).await?.recent_account(services).await?;
            let (db, now) = (&services.db, services.now());
            let at = ceremony_key(session, Purpose::AddKey).await?;
            let (name, state) =
                security_keys::take_ceremony::<SecurityKeyRegistration>(db, &at, account.id, Purpose::AddKey, now)
                    .await?
                    .ok_or(AuthError::NoPendingSecurityKeyRequest)?;
            let name = name.unwrap_or_default();
            let key = services.relying_party.get()?.finish_securitykey_registration(&reply, &state).map_err(|e| {
                tracing::info!(error = %e, "a key registration was refused");
                AuthError::SecurityKeyRejected
            })?;
            store_new_key(services, session, &account, name, &key, false).await
        }
        .await,
    )
}

/// Keeps a key just registered (`passkey`: made as one). The account's first second factor turns
/// two-factor authentication on and makes its recovery codes (returned, to be shown once).
pub(super) async fn store_new_key(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
    name: String,
    key: &webauthn_rs::prelude::SecurityKey,
    passkey: bool,
) -> Result<KeyAdded, AuthError> {
    let (db, now) = (&services.db, services.now());
    let first_factor = !account.two_factor_on();
    let codes = first_factor.then(recovery_codes::generate_set);
    let sealed = codes.as_deref().map(|codes| recovery_codes::seal_set(&services.recovery_codes, codes));
    let recovery = sealed.as_deref().map(|sealed| (sealed, account.session_epoch));
    match security_keys::add(db, account.id, &name, key, passkey, recovery, now).await? {
        Added::Key => {}
        Added::TurnedTwoFactorOn { epoch } => {
            throttle::clear_second_factor_failures(db, account.id).await?;
            let event = Event::TwoFactorEnabled;
            account_change::finish(services, session, account, Some(epoch), event, AuthError::TwoFactorAlreadyOn)
                .await?;
            // This session has just proved the key (its registration needs a touch): an app it
            // signs in to is told `hwk`, as after a sign-in with the key (`docs/contract/oidc.md`, ID token).
            session.mark_signed_in_with_key().await?;
        }
        Added::Duplicate => return Err(AuthError::BadInput("That security key is already registered.".into())),
        Added::Lost => {
            let raced = AuthError::BadInput("Two-factor authentication changed meanwhile: reload the page.".into());
            return Err(account_change::lost_race(services, session, account, raced).await);
        }
    }
    // The log's write also marks the account's kept page stale (its key list changed).
    services.log_by(account.id, Event::SecurityKeyAdded, Some(&name), session.requester()).await;
    tracing::info!(passkey, "security key added");
    Ok(KeyAdded { name, recovery_codes: codes })
}

/// Removes a key. A recent sign-in is needed; when it is the account's last second factor (no
/// app, no other key), removing it turns 2FA off, so it needs the password and a recovery code
/// too, as turning 2FA off does. Whether a second factor remains is decided by the database as
/// the key is deleted, so two removals at once cannot take the last two factors without that.
#[tracing::instrument(skip_all)]
pub async fn remove(
    services: &Services,
    session: &impl SessionData,
    key_id: Option<String>,
    password: Option<String>,
    otp: Option<String>,
) -> Result<String, AuthError> {
    let key_id: i64 = key_id
        .as_deref()
        .and_then(|id| id.trim().parse().ok())
        .ok_or_else(|| AuthError::BadInput("Which key? key_id is missing.".into()))?;
    let account = Visitor::of(services, session).await?.recent_account(services).await?;
    let keys = security_keys::list(&services.db, account.id).await?;
    let key = keys
        .iter()
        .find(|k| k.id == key_id)
        .ok_or_else(|| AuthError::BadInput("There is no such key on this account.".into()))?;
    if account.otp_secret.is_some() || keys.len() > 1 {
        match security_keys::remove_unless_last(&services.db, account.id, key_id).await? {
            Removed::Key => {
                services.log_by(account.id, Event::SecurityKeyRemoved, Some(&key.name), session.requester()).await;
                return Ok(key.name.clone());
            }
            Removed::NoSuchKey => return Err(AuthError::BadInput("There is no such key on this account.".into())),
            // The last factor after all: another went meanwhile (a removal racing this one).
            Removed::LastFactor => {}
        }
    }
    // The last second factor: removing it is turning 2FA off (every key goes, the other sessions
    // end, the apps' tokens are revoked), with the password and a code.
    let given = |field: &Option<String>| field.as_deref().is_some_and(|value| !value.trim().is_empty());
    if !given(&password) || !given(&otp) {
        return Err(AuthError::BadInput(
            "This key is your account's last second factor: removing it turns two-factor authentication off, \
             so enter your password and a recovery code too."
                .into(),
        ));
    }
    let proof = second_factor::code_or_recovery_code(otp)?;
    reauthentication::check_factors(services, session, &account, password, Some(&proof)).await?;
    let raised =
        accounts::disable_two_factor(&services.db, &services.access_tokens, account.id, Some(account.session_epoch))
            .await?;
    account_change::finish(services, session, &account, raised, Event::TwoFactorDisabled, AuthError::TwoFactorOff)
        .await?;
    services.log_by(account.id, Event::SecurityKeyRemoved, Some(&key.name), session.requester()).await;
    Ok(key.name.clone())
}

/// A challenge for the account's keys, kept for `purpose`.
async fn challenge_for(
    services: &Services,
    session: &impl SessionData,
    account_id: i64,
    purpose: Purpose,
) -> Result<Challenge, AuthError> {
    let keys = security_keys::list(&services.db, account_id).await?;
    if keys.is_empty() {
        return Err(AuthError::BadInput("This account has no security key: use a code.".into()));
    }
    let credentials: Vec<_> = keys.into_iter().map(|k| k.credential).collect();
    let (options, state) = services
        .relying_party
        .get()?
        .start_securitykey_authentication(&credentials)
        .map_err(|e| AuthError::unexpected(format!("starting a key sign-in: {e}")))?;
    let at = ceremony_key(session, purpose).await?;
    let expires_at = services.now() + CEREMONY_SECONDS;
    security_keys::begin_ceremony(&services.db, &at, account_id, purpose, None, &state, expires_at).await?;
    Ok(Challenge { options_json: to_json(&options)? })
}

/// Checks a key's answer to this session's challenge for `purpose`, under the per-account
/// second-factor throttle (a refusal counts like a wrong code, and is logged); a success records
/// the key's new counter and resets the count. Returns the key's name.
async fn check_answer(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
    purpose: Purpose,
    reply: &PublicKeyCredential,
) -> Result<String, AuthError> {
    let (db, now, address) = (&services.db, services.now(), session.client_address());
    let at = ceremony_key(session, purpose).await?;
    let failures = throttle::reserve_second_factor_attempt(db, account.id, SecondFactorKind::SecurityKey, now).await?;
    let taken = security_keys::take_ceremony::<SecurityKeyAuthentication>(db, &at, account.id, purpose, now).await?;
    let checked = match &taken {
        Some((_, state)) => services.relying_party.get()?.finish_securitykey_authentication(reply, state).map_err(Some),
        None => Err(None),
    };
    let result = match checked {
        Ok(result) => result,
        Err(why) => {
            if let Some(WebauthnError::CredentialPossibleCompromise) = why {
                // A counter that did not move forward: a cloned key, most likely.
                tracing::warn!(user_id = account.id, "a security key's signature counter went backwards: refused");
            }
            services.log(account.id, Event::SecurityKeyRejected, address).await;
            if failures == throttle::SECOND_FACTOR_LOCK_FAILURES {
                services.log(account.id, Event::CodesLocked, address).await;
            }
            return Err(if taken.is_none() {
                AuthError::NoPendingSecurityKeyRequest
            } else {
                AuthError::SecurityKeyRejected
            });
        }
    };
    // The answer was checked against the counter kept when the challenge was made; a use since
    // then (a copy of the key answering another challenge) has moved the stored one on.
    let keys = security_keys::list(db, account.id).await?;
    let key = keys.into_iter().find(|k| k.credential.cred_id() == result.cred_id());
    let recorded = match key {
        // Removed between the challenge and the answer.
        None => None,
        Some(key) if !counter_moved_on(signature_counter(&key.credential)?, result.counter()) => None,
        Some(key) => {
            let mut updated = key.credential.clone();
            updated.update_credential(&result);
            security_keys::record_use(db, &key, &updated, now).await?.then_some(key.name)
        }
    };
    let Some(name) = recorded else {
        tracing::warn!(user_id = account.id, "a security key's answer was refused: the key was removed or used since");
        services.log(account.id, Event::SecurityKeyRejected, address).await;
        if failures == throttle::SECOND_FACTOR_LOCK_FAILURES {
            services.log(account.id, Event::CodesLocked, address).await;
        }
        return Err(AuthError::SecurityKeyRejected);
    };
    throttle::clear_second_factor_failures(db, account.id).await?;
    Ok(name)
}

/// The sign-in's second step with a key: the challenge, for a session past its password step.
#[tracing::instrument(skip_all)]
pub async fn start_sign_in(services: &Services, session: &impl SessionData) -> Result<Challenge, AuthError> {
    counted(
        "sign_in",
        Step::Start,
        async move {
            let account = Visitor::of(services, session).await?.awaiting_second_factor(services, session).await?;
            challenge_for(services, session, account.id, Purpose::SignIn).await
        }
        .await,
    )
}

/// Finishes the key step: signed in under a new session id, the key's name logged.
#[tracing::instrument(skip_all)]
pub async fn finish_sign_in(
    services: &Services,
    session: &impl SessionData,
    credential: Option<String>,
) -> Result<(), AuthError> {
    counted(
        "sign_in",
        Step::Finish,
        async move {
            let reply: PublicKeyCredential = answer(credential)?;
            let account = Visitor::of(services, session).await?.awaiting_second_factor(services, session).await?;
            let name = check_answer(services, session, &account, Purpose::SignIn, &reply).await?;
            services.log_key(account.id, Event::SignedInWithSecurityKey, &name, session.client_address()).await;
            session::complete_sign_in(session, account.id, account.session_epoch, services.now()).await?;
            session.mark_signed_in_with_key().await
        }
        .await,
    )
}

/// Re-authentication with the password and a key (for sensitive changes after the 10-minute
/// window): the challenge, for a signed-in session.
#[tracing::instrument(skip_all)]
pub async fn start_reauthentication(services: &Services, session: &impl SessionData) -> Result<Challenge, AuthError> {
    counted(
        "reauthenticate",
        Step::Start,
        async move {
            let account = Visitor::of(services, session).await?.account(services).await?;
            challenge_for(services, session, account.id, Purpose::Reauthenticate).await
        }
        .await,
    )
}

/// The password, then the key's answer: the window for sensitive changes starts again.
#[tracing::instrument(skip_all)]
pub async fn finish_reauthentication(
    services: &Services,
    session: &impl SessionData,
    password: Option<String>,
    credential: Option<String>,
) -> Result<(), AuthError> {
    counted(
        "reauthenticate",
        Step::Finish,
        async move {
            let reply: PublicKeyCredential = answer(credential)?;
            let account = Visitor::of(services, session).await?.account(services).await?;
            reauthentication::check_factors(services, session, &account, password, None).await?;
            check_answer(services, session, &account, Purpose::Reauthenticate, &reply).await?;
            session::refresh(session, account.id, account.session_epoch, services.now()).await?;
            services.log(account.id, Event::Reauthenticated, session.client_address()).await;
            Ok(())
        }
        .await,
    )
}

#[derive(Clone, Copy)]
pub(super) enum Step {
    Start,
    Finish,
}

/// Counts a ceremony's step for the metrics (`security_key_ceremonies_total`): started or
/// refused, succeeded or failed. No account or key name is a label.
pub(super) fn counted<T>(ceremony: &'static str, step: Step, result: Result<T, AuthError>) -> Result<T, AuthError> {
    let outcome = match (step, result.is_ok()) {
        (Step::Start, true) => "started",
        (Step::Start, false) => "refused",
        (Step::Finish, true) => "succeeded",
        (Step::Finish, false) => "failed",
    };
    metrics::counter!("security_key_ceremonies_total", "ceremony" => ceremony, "outcome" => outcome).increment(1);
    result
}
