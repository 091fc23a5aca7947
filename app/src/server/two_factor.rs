//! Turning two-factor authentication on: a key made and kept on the server, shown once as a
//! QR code and a setup key, confirmed with a code from the app.

use crate::server::{
    accounts::{self, Account},
    clock::now_unix,
    enrollments,
    error::AuthError,
    input, recovery_codes,
    state::AppState,
    throttle::{self, SecondFactorKind},
    totp::{self, TotpSecret},
};

/// What the setup page shows for a key.
pub struct SetupOffer {
    pub secret: TotpSecret,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

fn offer(state: &AppState, account: &Account, secret: TotpSecret) -> Result<SetupOffer, AuthError> {
    let otpauth_uri = totp::otpauth_uri(&secret, &state.settings.issuer, &account.username);
    let qr_svg = totp::qr_svg(&otpauth_uri).map_err(|e| AuthError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    Ok(SetupOffer { secret, otpauth_uri, qr_svg })
}

/// Starts a setup with a fresh key (the API: every call is a new key).
pub async fn start(state: &AppState, account: &Account) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let secret = enrollments::start(&state.db, &state.secret_box, account.id).await?;
    offer(state, account, secret)
}

/// The setup the page shows: the one in progress if it is still valid, so reloading the page
/// does not void a key already scanned; otherwise a new one.
pub async fn current_or_start(state: &AppState, account: &Account) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    match enrollments::pending(&state.db, &state.secret_box, account.id).await? {
        Some(secret) => offer(state, account, secret),
        None => start(state, account).await,
    }
}

/// Confirms the setup with a current code; returns the new recovery codes (shown once).
/// The confirming code's time-step counts as used.
#[tracing::instrument(skip_all, fields(user_id = account.id))]
pub async fn confirm(state: &AppState, account: &Account, otp: Option<String>) -> Result<Vec<String>, AuthError> {
    let code = input::one_time_code(otp)?;
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let secret = enrollments::pending(&state.db, &state.secret_box, account.id).await?.ok_or(AuthError::NoPendingSetup)?;
    throttle::reserve_second_factor_attempt(&state.db, account.id, SecondFactorKind::EnrollmentCode).await?;
    let now = u64::try_from(now_unix()).unwrap_or(0);
    let step = totp::matching_step(&secret, &code, now).ok_or(AuthError::CodeRejected)?;
    let codes = recovery_codes::generate_set();
    if !accounts::enable_two_factor(&state.db, &state.secret_box, account.id, &secret, step, &codes).await? {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    throttle::clear_second_factor_failures(&state.db, account.id).await?;
    tracing::info!("two-factor authentication turned on");
    Ok(codes)
}
