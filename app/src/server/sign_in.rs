//! Registration and the two-step sign-in: password, then (where 2FA is on) a code or a
//! recovery code. Every step is throttled (`throttle`) and logged (`security_log`).

use crate::server::{
    accounts::{self, Account},
    auth_session::{AuthSession, Stage},
    clock::now_unix,
    device_cookie,
    error::AuthError,
    identities::Identity,
    input, passwords, second_factor,
    security_log::{self, Event},
    state::AppState,
    throttle,
};
use std::sync::Arc;

/// Creates the account and signs it in. Returns the username as it will be displayed.
/// Refused when registration is closed (the operator makes accounts), and throttled per client
/// address before any hashing work.
#[tracing::instrument(skip_all)]
pub async fn register(
    state: &AppState,
    session: &AuthSession,
    username: Option<String>,
    password: Option<String>,
) -> Result<String, AuthError> {
    if !state.settings.registration_open {
        return Err(AuthError::RegistrationClosed);
    }
    let name = input::new_username(username)?;
    let password = input::new_password(password)?;
    // A taken name is answered before any hashing work (409 is the documented exception to
    // "no enumeration"); the unique index still decides between two concurrent registrations.
    if accounts::find_by_username(&state.db, &state.secret_box, &name).await?.is_some() {
        return Err(AuthError::UsernameTaken);
    }
    let address = session.client_address();
    throttle::reserve_registration(&state.db, address, state.settings.registrations_per_address_per_hour).await?;
    let created = async {
        let hash = passwords::hash(password).await?;
        accounts::create(&state.db, &name, &hash).await?.ok_or(AuthError::UsernameTaken)
    }
    .await;
    let id = match created {
        Ok(id) => id,
        Err(e) => {
            // Only accounts made count against the address.
            if let Err(give_back) = throttle::give_back_registration(&state.db, address).await {
                tracing::warn!(error = %give_back, "could not give back a registration that made no account");
            }
            return Err(e);
        }
    };
    tracing::info!(user_id = id, "account registered");
    security_log::record(&state.db, id, Event::Registered, address).await;
    session.complete_sign_in(id, 0).await?;
    Ok(name.as_str().to_owned())
}

/// What a right password leads to.
pub struct PasswordOutcome {
    /// The account has 2FA on: the session now waits for the code.
    pub second_factor: bool,
    /// The device token to hand the browser (see `device_cookie`).
    pub device_token: String,
}

/// The password step. An unknown user and a wrong password do the same work (a dummy hash is
/// verified) and get the same error.
#[tracing::instrument(skip_all)]
pub async fn password_step(
    state: &AppState,
    session: &AuthSession,
    username: Option<String>,
    password: Option<String>,
) -> Result<PasswordOutcome, AuthError> {
    let typed_name = input::sign_in_username(username.clone())?;
    let password = input::sign_in_password(password)?;
    let address = session.client_address();
    // Throttled by the name as typed, whether or not such an account exists — or, from a
    // browser that signed in to this name before, by that device.
    let throttle_name = username.unwrap_or_default();
    let device = device_cookie::known_device(&state.secret_box, session.device_token(), &throttle_name);
    let device = device.as_deref();
    throttle::reserve_password_attempt(&state.db, &throttle_name, address, device).await?;
    let checked = async {
        let account = match &typed_name {
            Some(name) => accounts::find_by_username(&state.db, &state.secret_box, name).await?,
            None => None,
        };
        let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
        Ok::<_, AuthError>((
            passwords::verify_within(state.settings.password_wait, password, stored_hash).await?,
            account,
        ))
    }
    .await;
    let account = match checked {
        Ok((true, Some(account))) => account,
        Ok((_, account)) => {
            // The reserved attempt stays counted as a failure.
            if let Some(account) = account {
                security_log::record(&state.db, account.id, Event::PasswordRejected, address).await;
            }
            return Err(AuthError::InvalidCredentials);
        }
        Err(e) => {
            // Undecided (503: hashing busy, database away): not a failure.
            if e.status() == http::StatusCode::SERVICE_UNAVAILABLE {
                throttle::give_back_password_attempt(&state.db, &throttle_name, address, device).await;
            }
            return Err(e);
        }
    };
    throttle::password_succeeded(&state.db, &throttle_name, address, device).await?;
    let device_token = device_cookie::token_for(&state.secret_box, &throttle::username_key(&throttle_name), device);
    if account.two_factor_on() {
        session.begin_second_factor(account.id, account.session_epoch).await?;
        Ok(PasswordOutcome { second_factor: true, device_token })
    } else {
        security_log::record(&state.db, account.id, Event::SignedInWithPassword, address).await;
        session.complete_sign_in(account.id, account.session_epoch).await?;
        Ok(PasswordOutcome { second_factor: false, device_token })
    }
}

/// Where the visitor stands, checked against the account: a session of a deleted account, or
/// one ended from elsewhere ("sign out everywhere", a change to 2FA), is signed out here.
pub async fn current_stage(state: &AppState, session: &AuthSession) -> Result<(Stage, Option<Account>), AuthError> {
    let stage = session.stage().await?;
    let (user_id, epoch) = match stage {
        Stage::SignedIn { user_id, epoch, .. } | Stage::PendingSecondFactor { user_id, epoch } => (user_id, epoch),
        Stage::Anonymous | Stage::PendingExpired => return Ok((stage, None)),
    };
    match accounts::find_by_id(&state.db, &state.secret_box, user_id).await? {
        Some(account) if account.session_epoch == epoch => Ok((stage, Some(account))),
        _ => {
            session.sign_out().await?;
            Ok((Stage::Anonymous, None))
        }
    }
}

/// The account waiting for its second factor (a session that passed the password step).
async fn pending_account(state: &AppState, session: &AuthSession) -> Result<Account, AuthError> {
    match current_stage(state, session).await? {
        (Stage::PendingSecondFactor { .. }, Some(account)) if account.two_factor_on() => Ok(account),
        _ => Err(AuthError::NoPendingSignIn),
    }
}

/// The second step with a code from the authenticator app.
#[tracing::instrument(skip_all)]
pub async fn code_step(state: &AppState, session: &AuthSession, otp: Option<String>) -> Result<(), AuthError> {
    let code = input::one_time_code(otp)?;
    let account = pending_account(state, session).await?;
    second_factor::verify_code(state, &account, &code, session.client_address()).await?;
    security_log::record(&state.db, account.id, Event::SignedInWithCode, session.client_address()).await;
    session.complete_sign_in(account.id, account.session_epoch).await
}

/// The second step with a recovery code instead of the phone.
#[tracing::instrument(skip_all)]
pub async fn recovery_step(
    state: &AppState,
    session: &AuthSession,
    recovery_code: Option<String>,
) -> Result<(), AuthError> {
    let account = pending_account(state, session).await?;
    let address = session.client_address();
    second_factor::verify_recovery_code(state, &account, recovery_code.as_deref().unwrap_or(""), address).await?;
    security_log::record(&state.db, account.id, Event::SignedInWithRecoveryCode, address).await;
    session.complete_sign_in(account.id, account.session_epoch).await
}

/// A fully signed-in session (both factors, where 2FA is on), and when it last proved them.
pub struct SignedIn {
    pub account: Account,
    pub authenticated_at: i64,
}

pub async fn signed_in(state: &AppState, session: &AuthSession) -> Result<SignedIn, AuthError> {
    match current_stage(state, session).await? {
        (Stage::SignedIn { authenticated_at, .. }, Some(account)) => Ok(SignedIn { account, authenticated_at }),
        _ => Err(AuthError::NotSignedIn),
    }
}

/// Who a fully signed-in session belongs to: the check `/api/me` and every page's header make.
/// Lighter than `signed_in_account` (no key decrypted), and kept in memory on SQLite
/// (`identities`). A session whose epoch the account has moved past is signed out.
pub async fn signed_in_identity(state: &AppState, session: &AuthSession) -> Result<Arc<Identity>, AuthError> {
    let Stage::SignedIn { user_id, epoch, .. } = session.stage().await? else { return Err(AuthError::NotSignedIn) };
    match state.identities.get(&state.db, user_id).await? {
        Some(identity) if identity.session_epoch == epoch => Ok(identity),
        _ => {
            session.sign_out().await?;
            Err(AuthError::NotSignedIn)
        }
    }
}

/// The signed-in account, for anything that needs both factors.
pub async fn signed_in_account(state: &AppState, session: &AuthSession) -> Result<Account, AuthError> {
    Ok(signed_in(state, session).await?.account)
}

/// The signed-in account, for a sensitive change: only within the re-authentication window
/// (10 minutes by default) of a full sign-in or re-authentication (ASVS 3.7.1).
pub async fn recently_signed_in_account(state: &AppState, session: &AuthSession) -> Result<Account, AuthError> {
    let SignedIn { account, authenticated_at } = signed_in(state, session).await?;
    if now_unix() - authenticated_at > state.settings.reauthentication_window_seconds {
        return Err(AuthError::ReauthenticationRequired);
    }
    Ok(account)
}
