//! Registration and the two-step sign-in: password, then (where 2FA is on) a code or a
//! recovery code. Every step is throttled (`throttle`).

use crate::server::{
    accounts::{self, Account},
    auth_session::AuthSession,
    clock::now_unix,
    error::AuthError,
    input, passwords, recovery_codes,
    state::AppState,
    throttle::{self, SecondFactorKind},
    totp,
};

/// Creates the account and signs it in. Returns the username as it will be displayed.
#[tracing::instrument(skip_all)]
pub async fn register(
    state: &AppState,
    session: &AuthSession,
    username: Option<String>,
    password: Option<String>,
) -> Result<String, AuthError> {
    let name = input::new_username(username)?;
    let password = input::new_password(password)?;
    let hash = passwords::hash(password).await?;
    let id = accounts::create(&state.db, &name, &hash).await?.ok_or(AuthError::UsernameTaken)?;
    tracing::info!(user_id = id, "account registered");
    session.complete_sign_in(id).await?;
    Ok(name.as_str().to_owned())
}

/// The password step. Returns whether a second factor is needed. An unknown user and a wrong
/// password do the same work (a dummy hash is verified) and get the same error.
#[tracing::instrument(skip_all)]
pub async fn password_step(
    state: &AppState,
    session: &AuthSession,
    client_address: Option<&str>,
    username: Option<String>,
    password: Option<String>,
) -> Result<bool, AuthError> {
    let typed_name = input::sign_in_username(username.clone())?;
    let password = input::sign_in_password(password)?;
    // Throttled by the name as typed, whether or not such an account exists.
    let throttle_name = username.unwrap_or_default();
    throttle::check_password_attempt(&state.db, &throttle_name, client_address).await?;
    let account = match &typed_name {
        Some(name) => accounts::find_by_username(&state.db, &state.secret_box, name).await?,
        None => None,
    };
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let account = match (passwords::verify(password, stored_hash).await?, account) {
        (true, Some(account)) => account,
        _ => {
            throttle::record_password_failure(&state.db, &throttle_name, client_address).await?;
            return Err(AuthError::InvalidCredentials);
        }
    };
    throttle::clear_password_failures(&state.db, &throttle_name).await?;
    if account.two_factor_on() {
        session.begin_second_factor(account.id).await?;
        Ok(true)
    } else {
        session.complete_sign_in(account.id).await?;
        Ok(false)
    }
}

/// The account waiting for its second factor (a session that passed the password step).
async fn pending_account(state: &AppState, session: &AuthSession) -> Result<Account, AuthError> {
    let user_id = session.pending_user().await?;
    match accounts::find_by_id(&state.db, &state.secret_box, user_id).await? {
        Some(account) if account.two_factor_on() => Ok(account),
        _ => Err(AuthError::NoPendingSignIn),
    }
}

/// The second step with a code from the authenticator app. A code is accepted once: its
/// time-step is claimed in the database before the sign-in completes.
#[tracing::instrument(skip_all)]
pub async fn code_step(state: &AppState, session: &AuthSession, otp: Option<String>) -> Result<(), AuthError> {
    let code = input::one_time_code(otp)?;
    let account = pending_account(state, session).await?;
    let secret = account.totp_secret.as_ref().ok_or(AuthError::NoPendingSignIn)?;
    // Refused before the code is even looked at while throttled or locked: no oracle.
    throttle::reserve_second_factor_attempt(&state.db, account.id, SecondFactorKind::Code).await?;
    let now = u64::try_from(now_unix()).unwrap_or(0);
    let step = totp::matching_step(secret, &code, now).ok_or(AuthError::CodeRejected)?;
    if !accounts::claim_time_step(&state.db, account.id, step).await? {
        // The right code, but its time-step was already used: a replay.
        return Err(AuthError::CodeRejected);
    }
    throttle::clear_second_factor_failures(&state.db, account.id).await?;
    session.complete_sign_in(account.id).await
}

/// The second step with a recovery code instead of the phone. The code is spent for good, and
/// it lifts a lock on codes.
#[tracing::instrument(skip_all)]
pub async fn recovery_step(
    state: &AppState,
    session: &AuthSession,
    recovery_code: Option<String>,
) -> Result<(), AuthError> {
    let account = pending_account(state, session).await?;
    throttle::reserve_second_factor_attempt(&state.db, account.id, SecondFactorKind::RecoveryCode).await?;
    let canonical = recovery_code
        .as_deref()
        .and_then(recovery_codes::normalize)
        .ok_or(AuthError::RecoveryCodeRejected)?;
    if !accounts::redeem_recovery_code(&state.db, account.id, &canonical).await? {
        return Err(AuthError::RecoveryCodeRejected);
    }
    throttle::clear_second_factor_failures(&state.db, account.id).await?;
    tracing::info!(user_id = account.id, "signed in with a recovery code");
    session.complete_sign_in(account.id).await
}

/// The signed-in account, for anything that needs both factors.
pub async fn signed_in_account(state: &AppState, session: &AuthSession) -> Result<Account, AuthError> {
    let user_id = session.signed_in_user().await?;
    accounts::find_by_id(&state.db, &state.secret_box, user_id).await?.ok_or(AuthError::NotSignedIn)
}
