//! Managing two-factor authentication: turning it on (a key made and kept on the server, shown
//! as a QR code and a setup key, confirmed with a code), new recovery codes, turning it off,
//! re-authenticating for those changes, and ending other sessions.

use crate::server::{
    accounts::{self, Account},
    auth_session::AuthSession,
    clock::now_unix,
    enrollments,
    error::AuthError,
    input,
    otp_policy::{OtpKind, OtpParams},
    passwords, recovery_codes,
    second_factor::{self, Proof},
    security_log::{self, Event},
    sign_in,
    state::AppState,
    throttle::{self, SecondFactorKind},
    totp::{self, TotpSecret},
};

/// What the setup page shows for a key.
pub struct SetupOffer {
    pub secret: TotpSecret,
    pub params: OtpParams,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

fn offer(state: &AppState, account: &Account, secret: TotpSecret, params: OtpParams) -> Result<SetupOffer, AuthError> {
    let otpauth_uri = totp::otpauth_uri_with(&secret, &state.settings.issuer, &account.username, &params);
    let qr_svg = totp::qr_svg(&otpauth_uri).map_err(|e| AuthError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    Ok(SetupOffer { secret, params, otpauth_uri, qr_svg })
}

/// Starts a setup with a fresh key (the API: every call is a new key).
pub async fn start(state: &AppState, account: &Account) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let params = state.settings.otp_policy;
    let secret = enrollments::start(&state.db, &state.secret_box, account.id, &params).await?;
    offer(state, account, secret, params)
}

/// The setup the page shows: the one in progress if it is still valid, so reloading the page
/// does not void a key already scanned; otherwise a new one.
pub async fn current_or_start(state: &AppState, account: &Account) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    match enrollments::pending(&state.db, &state.secret_box, account.id).await? {
        Some((secret, params)) => offer(state, account, secret, params),
        None => start(state, account).await,
    }
}

/// Confirms the setup with a current code; returns the new recovery codes (shown once).
/// The confirming code's time-step counts as used; other sessions of the account end.
#[tracing::instrument(skip_all, fields(user_id = account.id))]
pub async fn confirm(
    state: &AppState,
    session: &AuthSession,
    account: &Account,
    otp: Option<String>,
) -> Result<Vec<String>, AuthError> {
    let code = input::one_time_code(otp)?;
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let (secret, params) =
        enrollments::pending(&state.db, &state.secret_box, account.id).await?.ok_or(AuthError::NoPendingSetup)?;
    input::code_of_length(&code, params.digits)?;
    throttle::reserve_second_factor_attempt(&state.db, account.id, SecondFactorKind::EnrollmentCode).await?;
    let now = u64::try_from(now_unix()).unwrap_or(0);
    let confirmed = match params.kind {
        OtpKind::Totp => totp::matching_totp_step(&secret, &params, &code, now),
        // A new HOTP credential starts at counter 0; the app may have been asked a few times.
        OtpKind::Hotp => totp::matching_hotp_counter(&secret, &params, &code, 0, params.window),
    }
    .ok_or(AuthError::CodeRejected)?;
    let codes = recovery_codes::generate_set();
    let epoch = accounts::enable_two_factor(&state.db, &state.secret_box, account.id, &secret, &params, confirmed, &codes)
        .await?
        .ok_or(AuthError::TwoFactorAlreadyOn)?;
    state.identities.forget(account.id);
    throttle::clear_second_factor_failures(&state.db, account.id).await?;
    session.adopt_epoch(epoch).await?;
    security_log::record(&state.db, account.id, Event::TwoFactorEnabled, session.client_address()).await;
    tracing::info!("two-factor authentication turned on");
    Ok(codes)
}

/// Checks the password, then a second factor, for a sensitive change. The password is under the
/// same per-username throttle as the sign-in form (which already tells a right password from a
/// wrong one, so checking it first tells nothing new), and the code under the per-account code
/// throttle and lock; a mistyped password does not spend the code.
async fn check_both_factors(
    state: &AppState,
    session: &AuthSession,
    account: &Account,
    password: Option<String>,
    proof: &Proof,
) -> Result<(), AuthError> {
    let password = input::sign_in_password(password)?;
    check_password(state, session, account, password).await?;
    second_factor::verify(state, account, proof, session.client_address()).await
}

/// The account's password, under the same per-username throttle as the sign-in form.
async fn check_password(
    state: &AppState,
    session: &AuthSession,
    account: &Account,
    password: secrecy::SecretString,
) -> Result<(), AuthError> {
    let address = session.client_address();
    throttle::reserve_password_attempt(&state.db, &account.username, address).await?;
    if !passwords::verify(password, Some(account.password_hash.clone())).await? {
        security_log::record(&state.db, account.id, Event::PasswordRejected, address).await;
        return Err(AuthError::InvalidCredentials);
    }
    throttle::password_succeeded(&state.db, &account.username, address).await?;
    Ok(())
}

/// Re-authentication: the password and (with 2FA on) a current code or a recovery code restart
/// the window for sensitive changes.
#[tracing::instrument(skip_all)]
pub async fn reauthenticate(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    otp: Option<String>,
) -> Result<(), AuthError> {
    let account = sign_in::signed_in_account(state, session).await?;
    if account.two_factor_on() {
        let proof = second_factor::code_or_recovery_code(otp)?;
        check_both_factors(state, session, &account, password, &proof).await?;
    } else {
        check_password(state, session, &account, input::sign_in_password(password)?).await?;
    }
    session.refresh(account.id, account.session_epoch).await?;
    security_log::record(&state.db, account.id, Event::Reauthenticated, session.client_address()).await;
    Ok(())
}

/// Turns 2FA off: needs a recent sign-in, the password and a current code (or a recovery code).
/// The key and the recovery codes are voided; turning it on again starts a new setup.
#[tracing::instrument(skip_all)]
pub async fn disable(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    otp: Option<String>,
) -> Result<(), AuthError> {
    let account = sign_in::recently_signed_in_account(state, session).await?;
    if !account.two_factor_on() {
        return Err(AuthError::TwoFactorOff);
    }
    let proof = second_factor::code_or_recovery_code(otp)?;
    check_both_factors(state, session, &account, password, &proof).await?;
    let epoch = accounts::disable_two_factor(&state.db, account.id).await?;
    state.identities.forget(account.id);
    session.adopt_epoch(epoch).await?;
    security_log::record(&state.db, account.id, Event::TwoFactorDisabled, session.client_address()).await;
    Ok(())
}

/// New recovery codes: needs a recent sign-in and a current code from the app; the old set is
/// void at once.
#[tracing::instrument(skip_all)]
pub async fn regenerate_recovery_codes(
    state: &AppState,
    session: &AuthSession,
    otp: Option<String>,
) -> Result<Vec<String>, AuthError> {
    let account = sign_in::recently_signed_in_account(state, session).await?;
    if !account.two_factor_on() {
        return Err(AuthError::TwoFactorOff);
    }
    let code = input::one_time_code(otp)?;
    second_factor::verify_code(state, &account, &code, session.client_address()).await?;
    let codes = recovery_codes::generate_set();
    let epoch = accounts::regenerate_recovery_codes(&state.db, account.id, &codes)
        .await?
        .ok_or(AuthError::TwoFactorOff)?;
    state.identities.forget(account.id);
    session.adopt_epoch(epoch).await?;
    security_log::record(&state.db, account.id, Event::RecoveryCodesRegenerated, session.client_address()).await;
    Ok(codes)
}

/// Ends every other session of the account; this one stays signed in.
pub async fn sign_out_other_sessions(state: &AppState, session: &AuthSession) -> Result<(), AuthError> {
    let account = sign_in::signed_in_account(state, session).await?;
    let epoch = accounts::bump_session_epoch(&state.db, account.id).await?;
    state.identities.forget(account.id);
    session.adopt_epoch(epoch).await?;
    security_log::record(&state.db, account.id, Event::OtherSessionsEnded, session.client_address()).await;
    Ok(())
}
