//! Turning 2FA on: a key made and kept on the server (never sent back by the browser), shown as
//! a QR code and a setup key, bound to the session that started it, confirmed with a code.

use super::{
    account_change,
    session::{self, SessionData},
};
use crate::{
    credentials::{
        otp::{qr_svg, Match, Now, Otp, OtpSecret},
        otp_params::OtpParams,
        recovery_codes,
    },
    error::AuthError,
    input,
    services::Services,
    storage::{
        accounts::{self, Account},
        enrollments,
        security_log::Event,
        throttle::{self, SecondFactorKind},
    },
};

/// What the setup page shows for a key.
pub struct SetupOffer {
    pub secret: OtpSecret,
    pub params: OtpParams,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

fn offer(
    services: &Services,
    account: &Account,
    secret: OtpSecret,
    params: OtpParams,
) -> Result<SetupOffer, AuthError> {
    let otpauth_uri = Otp::new(&secret, params).otpauth_uri(&services.settings.issuer, &account.username);
    let qr_svg = qr_svg(&otpauth_uri).map_err(|e| AuthError::unexpected(format!("QR code: {e}")))?;
    Ok(SetupOffer { secret, params, otpauth_uri, qr_svg })
}

/// Starts a setup with a fresh key (the API: every call is a new key), bound to this session.
/// The caller has checked the sign-in is recent: the key is what the owner's phone will trust.
pub async fn start(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let params = services.settings.otp_policy;
    let binding = session::setup_binding(session).await?;
    let secret =
        enrollments::start(&services.db, &services.secret_box, account.id, &binding, &params, services.now()).await?;
    offer(services, account, secret, params)
}

/// The setup the page shows: this session's one in progress if it is still valid, so reloading
/// the page does not void a key already scanned; otherwise a new one.
pub async fn current_or_start(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
) -> Result<SetupOffer, AuthError> {
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    if let Some(binding) = session::existing_setup_binding(session).await? {
        let pending =
            enrollments::pending(&services.db, &services.secret_box, account.id, &binding, services.now()).await?;
        if let Some((secret, params)) = pending {
            return offer(services, account, secret, params);
        }
    }
    start(services, session, account).await
}

/// Confirms this session's setup with a current code; returns the new recovery codes (shown
/// once). The confirming code's time-step counts as used; other sessions of the account end.
#[tracing::instrument(skip_all, fields(user_id = account.id))]
pub async fn confirm(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
    otp: Option<String>,
) -> Result<Vec<String>, AuthError> {
    let code = input::one_time_code(otp)?;
    if account.two_factor_on() {
        return Err(AuthError::TwoFactorAlreadyOn);
    }
    let (db, now) = (&services.db, services.now());
    let binding = session::existing_setup_binding(session).await?.ok_or(AuthError::NoPendingSetup)?;
    let (secret, params) = enrollments::pending(db, &services.secret_box, account.id, &binding, now)
        .await?
        .ok_or(AuthError::NoPendingSetup)?;
    input::code_of_length(&code, params.digits)?;
    throttle::reserve_second_factor_attempt(db, account.id, SecondFactorKind::EnrollmentCode, now).await?;
    // A new HOTP credential starts at counter 0; the app may have been asked a few times.
    let Match::Within(confirmed) = Otp::new(&secret, params).check(&code, Now { unix_time: now, next_counter: 0 })
    else {
        return Err(AuthError::CodeRejected);
    };
    let codes = recovery_codes::generate_set();
    let sealed = recovery_codes::seal_set(&services.recovery_codes, &codes);
    let raised = accounts::enable_two_factor(
        db,
        &services.secret_box,
        account.id,
        &secret,
        &params,
        confirmed,
        &sealed,
        account.session_epoch,
        now,
    )
    .await?;
    if raised.is_some() {
        throttle::clear_second_factor_failures(db, account.id).await?;
        session.forget_setup_token().await?;
    }
    account_change::finish(services, session, account, raised, Event::TwoFactorEnabled, AuthError::TwoFactorAlreadyOn)
        .await?;
    tracing::info!("two-factor authentication turned on");
    Ok(codes)
}
