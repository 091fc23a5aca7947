//! What the pages load when they render (internal endpoints under `/api/ui/`, not part of the
//! public contract).

use super::Flash;
use crate::api_error::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Who is looking at the page, and the message a plain form post left for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Visitor {
    pub signed_in_as: Option<String>,
    pub flash: Option<Flash>,
    /// Whether anyone may create an account here (`REGISTRATION`).
    pub registration_open: bool,
}

#[server(endpoint = "ui/visitor")]
pub async fn load_visitor() -> Result<Visitor, ApiError> {
    use crate::server::{error::respond, flash, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        let signed_in_as = sign_in::signed_in_identity(&state, &session).await.ok().map(|i| i.username.clone());
        Ok(Visitor { signed_in_as, flash: flash::take(), registration_open: state.settings.registration_open })
    }
    .await
    .map_err(respond)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub username: String,
    pub two_factor: bool,
    pub recovery_codes_left: i64,
    /// Codes made by a confirmation that came as a plain form post: shown this once.
    pub fresh_recovery_codes: Vec<String>,
    /// Whether sensitive changes are allowed now, or need the password and a code again.
    pub recently_authenticated: bool,
    /// The newest security events, newest first.
    pub events: Vec<SecurityEvent>,
    /// How many digits the account's codes have.
    pub code_digits: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Unix seconds; the page shows it in the reader's time zone (with JavaScript) or as
    /// `at_utc` (without).
    pub at: i64,
    pub at_utc: String,
    pub kind: String,
    pub detail: String,
    pub client_address: Option<String>,
}

#[server(endpoint = "ui/account")]
pub async fn load_account_overview() -> Result<AccountOverview, ApiError> {
    use crate::server::{accounts, clock::now_unix, error::respond, security_log, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        let sign_in::SignedIn { account, authenticated_at } = sign_in::signed_in(&state, &session).await?;
        let recovery_codes_left = accounts::remaining_recovery_codes(&state.db, account.id).await?;
        let events = security_log::recent(&state.db, account.id, 20)
            .await?
            .into_iter()
            .map(|e| SecurityEvent {
                at_utc: security_log::format_utc(e.at),
                at: e.at,
                kind: e.kind,
                detail: e.detail,
                client_address: e.client_address,
            })
            .collect();
        Ok(AccountOverview {
            two_factor: account.two_factor_on(),
            username: account.username,
            recovery_codes_left,
            fresh_recovery_codes: session.take_recovery_codes(&state.secret_box).await?,
            recently_authenticated: now_unix() - authenticated_at <= state.settings.reauthentication_window_seconds,
            events,
            code_digits: account.otp.digits,
        })
    }
    .await
    .map_err(respond)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupPageData {
    pub username: String,
    pub issuer: String,
    /// The key as it is copied (no spaces) and as it is read (groups of four).
    pub secret: String,
    pub grouped_secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
    /// Whether the code can confirm now, or the password is needed again first.
    pub recently_authenticated: bool,
    pub code_digits: usize,
    /// Counter-based (HOTP) rather than time-based codes.
    pub counter_based: bool,
    /// SHA1/6 digits/30 s TOTP, which every app supports; otherwise the page warns.
    pub widely_supported: bool,
    /// "SHA256, 8 digits, every 60 seconds": what to choose in apps that ask.
    pub parameters: String,
}

impl SetupPageData {
    /// What the page gets for a session that must confirm its password first: no key at all.
    pub fn awaiting_reauthentication(username: String, issuer: String) -> Self {
        Self {
            username,
            issuer,
            secret: String::new(),
            grouped_secret: String::new(),
            otpauth_uri: String::new(),
            qr_svg: String::new(),
            recently_authenticated: false,
            code_digits: 6,
            counter_based: false,
            widely_supported: true,
            parameters: String::new(),
        }
    }
}

#[server(endpoint = "ui/setup")]
pub async fn load_setup_page() -> Result<SetupPageData, ApiError> {
    use crate::server::{clock::now_unix, error::respond, sign_in, state::request_context, two_factor};
    async {
        let (state, session) = request_context().await?;
        let sign_in::SignedIn { account, authenticated_at } = sign_in::signed_in(&state, &session).await?;
        // The key is shown only to a recent sign-in: an older session first confirms the password.
        if now_unix() - authenticated_at > state.settings.reauthentication_window_seconds {
            return Ok(SetupPageData::awaiting_reauthentication(account.username, state.settings.issuer.clone()));
        }
        let offer = two_factor::current_or_start(&state, &session, &account).await?;
        Ok(SetupPageData {
            username: account.username,
            issuer: state.settings.issuer.clone(),
            secret: offer.secret.to_base32(),
            grouped_secret: offer.secret.to_grouped_base32(),
            otpauth_uri: offer.otpauth_uri,
            qr_svg: offer.qr_svg,
            recently_authenticated: true,
            code_digits: offer.params.digits,
            counter_based: offer.params.kind == crate::server::otp_policy::OtpKind::Hotp,
            widely_supported: offer.params.is_widely_supported(),
            parameters: match offer.params.kind {
                crate::server::otp_policy::OtpKind::Totp => format!(
                    "time-based, {}, {} digits, every {} seconds",
                    offer.params.algorithm_name(),
                    offer.params.digits,
                    offer.params.period
                ),
                crate::server::otp_policy::OtpKind::Hotp => {
                    format!("counter-based, {}, {} digits", offer.params.algorithm_name(), offer.params.digits)
                }
            },
        })
    }
    .await
    .map_err(respond)
}

/// How many digits the codes of the account waiting for its second factor have (6 when there
/// is none: the page then only sends the visitor back to `/login`).
#[server(endpoint = "ui/code-digits")]
pub async fn load_code_digits() -> Result<usize, ApiError> {
    use crate::server::{error::respond, sign_in, state::request_context};
    async {
        let (state, session) = request_context().await?;
        let (_, account) = sign_in::current_stage(&state, &session).await?;
        Ok(account.map(|a| a.otp.digits).unwrap_or(6))
    }
    .await
    .map_err(respond)
}
