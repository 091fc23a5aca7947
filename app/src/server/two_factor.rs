//! Managing two-factor authentication: turning it on (a key made and kept on the server, shown
//! as a QR code and a setup key, confirmed with a code), new recovery codes, turning it off,
//! re-authenticating for those changes, and ending other sessions.

use crate::server::{
    accounts::{self, Account},
    auth_session::AuthSession,
    clock::now_unix,
    device_cookie, enrollments,
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

/// Starts a setup with a fresh key (the API: every call is a new key), bound to this session.
/// Needs a recent sign-in, like confirming: the key is what the owner's phone will trust.
pub async fn start(state: &AppState, session: &AuthSession, account: &Account) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let params = state.settings.otp_policy;
    let binding = session.setup_binding().await?;
    let secret = enrollments::start(&state.db, &state.secret_box, account.id, &binding, &params).await?;
    offer(state, account, secret, params)
}

/// The setup the page shows: this session's one in progress if it is still valid, so reloading
/// the page does not void a key already scanned; otherwise a new one.
pub async fn current_or_start(
    state: &AppState,
    session: &AuthSession,
    account: &Account,
) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    if let Some(binding) = session.existing_setup_binding().await? {
        if let Some((secret, params)) = enrollments::pending(&state.db, &state.secret_box, account.id, &binding).await?
        {
            return offer(state, account, secret, params);
        }
    }
    start(state, session, account).await
}

/// Confirms this session's setup with a current code; returns the new recovery codes (shown
/// once). The confirming code's time-step counts as used; other sessions of the account end.
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
    let binding = session.existing_setup_binding().await?.ok_or(AuthError::NoPendingSetup)?;
    let (secret, params) = enrollments::pending(&state.db, &state.secret_box, account.id, &binding)
        .await?
        .ok_or(AuthError::NoPendingSetup)?;
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
    let raised = accounts::enable_two_factor(
        &state.db,
        &state.secret_box,
        account.id,
        &secret,
        &params,
        confirmed,
        &codes,
        account.session_epoch,
    )
    .await?;
    let Some(epoch) = raised else {
        return Err(lost_race(state, session, account, AuthError::TwoFactorAlreadyOn).await);
    };
    state.identities.forget(account.id);
    throttle::clear_second_factor_failures(&state.db, account.id).await?;
    session.adopt_epoch(epoch).await?;
    session.forget_setup_binding().await?;
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

/// The account's password, under the same per-username (or per-device) throttle as the sign-in
/// form; an attempt the server could not decide (503) is given back.
async fn check_password(
    state: &AppState,
    session: &AuthSession,
    account: &Account,
    password: secrecy::SecretString,
) -> Result<(), AuthError> {
    let address = session.client_address();
    let device = device_cookie::known_device(&state.secret_box, session.device_token(), &account.username);
    let device = device.as_deref();
    throttle::reserve_password_attempt(&state.db, &account.username, address, device).await?;
    match passwords::verify_within(state.settings.password_wait, password, Some(account.password_hash.clone())).await {
        Ok(true) => {}
        Ok(false) => {
            security_log::record(&state.db, account.id, Event::PasswordRejected, address).await;
            return Err(AuthError::InvalidCredentials);
        }
        Err(e) => {
            throttle::give_back_password_attempt(&state.db, &account.username, address, device).await;
            return Err(e);
        }
    }
    throttle::password_succeeded(&state.db, &account.username, address, device).await?;
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
    let raised = accounts::disable_two_factor(&state.db, account.id, Some(account.session_epoch)).await?;
    let Some(epoch) = raised else { return Err(lost_race(state, session, &account, AuthError::TwoFactorOff).await) };
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
    let raised = accounts::regenerate_recovery_codes(&state.db, account.id, &codes, account.session_epoch).await?;
    let Some(epoch) = raised else { return Err(lost_race(state, session, &account, AuthError::TwoFactorOff).await) };
    state.identities.forget(account.id);
    session.adopt_epoch(epoch).await?;
    security_log::record(&state.db, account.id, Event::RecoveryCodesRegenerated, session.client_address()).await;
    Ok(codes)
}

/// Ends every other session of the account; this one stays signed in. Needs a recent sign-in.
/// The epoch is raised only if it is still this session's own, so of two sessions ending each
/// other at the same moment exactly one wins and the other is signed out.
pub async fn sign_out_other_sessions(state: &AppState, session: &AuthSession) -> Result<(), AuthError> {
    let account = sign_in::recently_signed_in_account(state, session).await?;
    let Some(epoch) = accounts::raise_session_epoch(&state.db, account.id, account.session_epoch).await? else {
        return Err(lost_race(state, session, &account, AuthError::NotSignedIn).await);
    };
    state.identities.forget(account.id);
    session.adopt_epoch(epoch).await?;
    security_log::record(&state.db, account.id, Event::OtherSessionsEnded, session.client_address()).await;
    Ok(())
}

/// A change conditional on this session's epoch did not happen. Either another session raised
/// the epoch first — this one is over: it is signed out, whatever it asked — or the account was
/// no longer in the state the change needs (`otherwise`).
async fn lost_race(state: &AppState, session: &AuthSession, account: &Account, otherwise: AuthError) -> AuthError {
    state.identities.forget(account.id);
    match state.identities.get(&state.db, account.id).await {
        Ok(Some(now)) if now.session_epoch == account.session_epoch => otherwise,
        Ok(_) => match session.sign_out().await {
            Ok(()) => AuthError::NotSignedIn,
            Err(e) => e,
        },
        Err(e) => e.into(),
    }
}
