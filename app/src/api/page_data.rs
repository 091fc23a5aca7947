//! What the pages load when they render (internal endpoints under `/api/ui/`, not part of the
//! public contract).

use super::Flash;
use crate::api_error::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many digits a code has unless its credential says otherwise (what the pages show before
/// they know): SHA1/6 digits/30 s TOTP, what every authenticator app supports.
pub const DEFAULT_CODE_DIGITS: usize = 6;

/// The valid `rd` of the page being rendered, if any.
#[cfg(feature = "ssr")]
fn page_return_to(settings: &domain::Settings) -> Option<domain::flows::return_to::ReturnTo> {
    let parts = use_context::<http::request::Parts>()?;
    let query = parts.uri.query()?;
    let rd = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "rd")?.1.into_owned();
    domain::flows::return_to::ReturnTo::parse(&rd, settings)
}

/// `2026-11-28 14:05 UTC`: what the page shows before (or without) JavaScript.
#[cfg(feature = "ssr")]
fn format_utc(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds).ok().and_then(|t| t.format(format).ok()).unwrap_or_default()
}

/// What every page's layout shows: who is signed in, and the message a plain form post left.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageContext {
    pub signed_in_as: Option<String>,
    pub flash: Option<Flash>,
    /// Whether anyone may create an account here (`REGISTRATION`).
    pub registration_open: bool,
    /// Whether the visitor may use the operator's console (the header links to it).
    #[serde(default)]
    pub console: bool,
    /// Whether passkeys are on (`PASSKEYS`): `/login` offers "Sign in with a passkey".
    #[serde(default)]
    pub passkeys: bool,
    /// Whether mail is on (`SMTP_URL`, `MAIL_FROM`): `/login` offers "Forgot your password?",
    /// `/account/profile` verification links, the console invitations by mail.
    #[serde(default)]
    pub mail: bool,
}

#[server(endpoint = "ui/visitor")]
pub async fn load_page_context() -> Result<PageContext, ApiError> {
    use crate::server::{flash, session::request_context};
    let (state, session) = request_context()?;
    let visitor = domain::visitor::Visitor::of(&state, &session).await?;
    Ok(PageContext {
        signed_in_as: visitor.signed_in().ok().map(|signed_in| signed_in.identity.username.clone()),
        flash: flash::take(state.settings.secure_cookies),
        registration_open: state.settings.registration_open,
        console: domain::console::admin::may_use_console(&state, &visitor),
        // Off too when the relying party cannot work (an IP address in PUBLIC_URL, say).
        passkeys: state.settings.passkeys && state.relying_party.get().is_ok(),
        mail: state.settings.mail.is_some(),
    })
}

/// `/account`: two-factor authentication, recovery codes and security keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub username: String,
    pub two_factor: bool,
    pub recovery_codes_left: i64,
    /// Codes made by a confirmation that came as a plain form post: shown this once.
    pub fresh_recovery_codes: Vec<String>,
    /// Whether sensitive changes are allowed now, or need the password and a code again.
    pub recently_authenticated: bool,
    /// How many digits the account's codes have.
    pub code_digits: usize,
    /// The protected app to go on to (the page's valid `rd`), after the codes are saved.
    pub continue_to: Option<String>,
    /// Whether an authenticator app is one of the second factors.
    pub app: bool,
    pub security_keys: Vec<SecurityKeyView>,
    /// Whether passkeys are on (`PASSKEYS`): "Add a passkey" is offered.
    #[serde(default)]
    pub passkeys: bool,
}

/// A security key as the account page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityKeyView {
    pub id: i64,
    pub name: String,
    pub added_at: i64,
    pub added_at_utc: String,
    pub last_used_at: Option<i64>,
    pub last_used_at_utc: Option<String>,
    /// Made as a passkey (signs in alone).
    #[serde(default)]
    pub passkey: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Unix seconds; the page shows it in the reader's time zone (with JavaScript) or as
    /// `at_utc` (without).
    pub at: i64,
    pub at_utc: String,
    /// What happened (`domain::storage::security_log::Event::kind`); the page words it.
    pub kind: String,
    /// What the event was about, by its name then (a security key, an app, a browser).
    pub key_name: Option<String>,
    pub client_address: Option<String>,
}

#[server(endpoint = "ui/account")]
pub async fn load_account_overview() -> Result<AccountOverview, ApiError> {
    use crate::server::session::request_context;
    use domain::{storage::accounts, visitor::Visitor};
    let (state, session) = request_context()?;
    let visitor = Visitor::of(&state, &session).await?;
    let signed_in = visitor.signed_in()?;
    let recently_authenticated = signed_in.is_recent(&state);
    let account = signed_in.account(&state).await?;
    let recovery_codes_left =
        accounts::remaining_recovery_codes(&state.db, account.id).await.map_err(domain::AuthError::from)?;
    let security_keys = domain::flows::security_keys::keys_of(&state, account.id)
        .await?
        .into_iter()
        .map(|k| SecurityKeyView {
            id: k.id,
            name: k.name,
            added_at: k.created_at,
            added_at_utc: format_utc(k.created_at),
            last_used_at: k.last_used_at,
            last_used_at_utc: k.last_used_at.map(format_utc),
            passkey: k.passkey,
        })
        .collect();
    Ok(AccountOverview {
        passkeys: state.settings.passkeys && state.relying_party.get().is_ok(),
        app: account.otp_secret.is_some(),
        security_keys,
        two_factor: account.two_factor_on(),
        username: account.username,
        recovery_codes_left,
        fresh_recovery_codes: session.take_recovery_codes(&state.secret_box).await?,
        recently_authenticated,
        code_digits: account.otp.digits,
        continue_to: page_return_to(&state.settings).map(|rd| rd.as_str().to_owned()),
    })
}

/// What the re-authentication form of a page asks for: the account's second factors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReauthenticationAsks {
    /// A code from an authenticator app.
    pub code: bool,
    pub digits: usize,
    /// A security key (or, without JavaScript, a recovery code).
    pub security_key: bool,
}

impl Default for ReauthenticationAsks {
    fn default() -> Self {
        Self { code: false, digits: DEFAULT_CODE_DIGITS, security_key: false }
    }
}

/// Whether the sign-in is recent, and, when it is not, what confirming it asks for (one
/// database read, only then).
#[cfg(feature = "ssr")]
async fn recent_or_asks(
    state: &crate::server::state::AppState,
    signed_in: &domain::visitor::SignedIn,
) -> Result<(bool, ReauthenticationAsks), domain::AuthError> {
    if signed_in.is_recent(state) {
        return Ok((true, ReauthenticationAsks::default()));
    }
    let account = signed_in.account(state).await?;
    let asks = ReauthenticationAsks {
        code: account.otp_secret.is_some(),
        digits: account.otp.digits,
        security_key: account.security_keys > 0,
    };
    Ok((false, asks))
}

/// `/account/sessions`: the account's signed-in sessions, and its security log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionsOverview {
    pub sessions: Vec<SessionView>,
    /// Whether sessions may be ended now, or the password (and a code) is needed again first.
    pub recently_authenticated: bool,
    pub reauthentication: ReauthenticationAsks,
    /// The newest security events, newest first.
    pub events: Vec<SecurityEvent>,
    /// The remembered devices, the most recently used first.
    pub devices: Vec<DeviceView>,
}

/// A remembered device as "Remembered devices" lists it
/// (`domain::flows::remembered_devices::DeviceSummary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    /// What "Forget" posts: it names this device among the account's own only.
    pub handle: String,
    /// "Chrome on Linux".
    pub browser: String,
    pub client_address: Option<String>,
    pub remembered_at: i64,
    pub remembered_at_utc: String,
    pub last_used_at: i64,
    pub last_used_at_utc: String,
    pub expires_at: i64,
    pub expires_at_utc: String,
    /// The browser showing the list.
    pub this_device: bool,
}

/// A session as "Your sessions" lists it (`domain::flows::sessions::SessionSummary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// What "End" posts: it names this session among the account's own only.
    pub handle: String,
    /// "Chrome on Linux".
    pub browser: String,
    pub client_address: Option<String>,
    pub signed_in_at: i64,
    pub signed_in_at_utc: String,
    pub last_used_at: i64,
    pub last_used_at_utc: String,
    pub this_session: bool,
}

/// How many security events `/account/sessions` shows.
#[cfg(feature = "ssr")]
const EVENTS_SHOWN: i64 = 20;

#[server(endpoint = "ui/sessions")]
pub async fn load_sessions_overview() -> Result<SessionsOverview, ApiError> {
    use crate::server::session::request_context;
    use domain::{
        flows::{remembered_devices, sessions},
        storage::security_log,
        visitor::Visitor,
    };
    let (state, session) = request_context()?;
    let visitor = Visitor::of(&state, &session).await?;
    let signed_in = visitor.signed_in()?;
    let (recently_authenticated, reauthentication) = recent_or_asks(&state, signed_in).await?;
    let listed = sessions::your_sessions(&state, &session).await?;
    let events = security_log::recent(&state.db, signed_in.user_id, EVENTS_SHOWN)
        .await
        .map_err(domain::AuthError::from)?
        .into_iter()
        .map(|e| SecurityEvent {
            at_utc: format_utc(e.at),
            at: e.at,
            kind: e.kind,
            key_name: e.key_name,
            client_address: e.client_address,
        })
        .collect();
    let devices = remembered_devices::your_devices(&state, &session)
        .await?
        .into_iter()
        .map(|d| DeviceView {
            handle: d.handle,
            browser: d.browser,
            client_address: d.client_address,
            remembered_at_utc: format_utc(d.remembered_at),
            remembered_at: d.remembered_at,
            last_used_at_utc: format_utc(d.last_used_at),
            last_used_at: d.last_used_at,
            expires_at_utc: format_utc(d.expires_at),
            expires_at: d.expires_at,
            this_device: d.this_device,
        })
        .collect();
    Ok(SessionsOverview {
        sessions: listed
            .into_iter()
            .map(|s| SessionView {
                handle: s.handle,
                browser: s.browser,
                client_address: s.client_address,
                signed_in_at_utc: format_utc(s.signed_in_at),
                signed_in_at: s.signed_in_at,
                last_used_at_utc: format_utc(s.last_used_at),
                last_used_at: s.last_used_at,
                this_session: s.this_session,
            })
            .collect(),
        recently_authenticated,
        reauthentication,
        events,
        devices,
    })
}

/// `/account/apps`: the OpenID Connect apps holding access to the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppsOverview {
    pub apps: Vec<AppView>,
    pub app_passwords: Vec<AppPasswordView>,
}

/// An app password as "App passwords" lists it: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppPasswordView {
    /// What "Revoke" posts.
    pub id: i64,
    pub name: String,
    /// Empty: any host whose rule allows app passwords.
    pub hosts: Vec<String>,
    pub created: i64,
    pub created_utc: String,
    pub last_used: Option<i64>,
    pub last_used_utc: Option<String>,
    pub last_used_from: Option<String>,
    pub expires: Option<i64>,
    pub expires_utc: Option<String>,
    pub expired: bool,
}

/// An app as "Apps you use" lists it (`domain::flows::apps::AppHolding`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppView {
    /// What "Remove access" posts.
    pub client_id: String,
    /// The name the operator registered it under.
    pub name: String,
    pub last_sign_in: i64,
    pub last_sign_in_utc: String,
}

#[server(endpoint = "ui/apps")]
pub async fn load_apps_overview() -> Result<AppsOverview, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let apps = domain::flows::apps::your_apps(&state, &session).await?;
    let now = state.now();
    let app_passwords = domain::flows::app_passwords::your_app_passwords(&state, &session)
        .await?
        .into_iter()
        .map(|p| AppPasswordView {
            id: p.id,
            name: p.name,
            hosts: p.hosts,
            created: p.created_at,
            created_utc: format_utc(p.created_at),
            last_used: p.last_used_at,
            last_used_utc: p.last_used_at.map(format_utc),
            last_used_from: p.last_used_from,
            expires: p.expires_at,
            expires_utc: p.expires_at.map(format_utc),
            expired: p.expires_at.is_some_and(|at| at <= now),
        })
        .collect();
    Ok(AppsOverview {
        app_passwords,
        apps: apps
            .into_iter()
            .map(|a| AppView {
                client_id: a.client_id,
                name: a.name,
                last_sign_in_utc: format_utc(a.last_sign_in),
                last_sign_in: a.last_sign_in,
            })
            .collect(),
    })
}

/// `/account/profile`: the display name and email the apps are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileOverview {
    pub display_name: String,
    pub email: String,
    /// Whether `email` is verified (only a verified address is passed to apps).
    pub email_verified: bool,
    /// Whether the email may be changed now, or the password (and a code) is needed again.
    pub recently_authenticated: bool,
    pub reauthentication: ReauthenticationAsks,
    /// Whether mail is on: an address is verified by the link mailed to it ("Send the link
    /// again"), not by the administrator.
    #[serde(default)]
    pub mail: bool,
}

#[server(endpoint = "ui/profile")]
pub async fn load_profile_overview() -> Result<ProfileOverview, ApiError> {
    use crate::server::session::request_context;
    use domain::{storage::accounts, visitor::Visitor};
    let (state, session) = request_context()?;
    let visitor = Visitor::of(&state, &session).await?;
    let signed_in = visitor.signed_in()?;
    let (recently_authenticated, reauthentication) = recent_or_asks(&state, signed_in).await?;
    let profile = accounts::profile(&state.db, signed_in.user_id).await.map_err(domain::AuthError::from)?;
    Ok(ProfileOverview {
        email_verified: profile.email.is_some() && profile.email_verified_at.is_some(),
        display_name: profile.display_name.unwrap_or_default(),
        email: profile.email.unwrap_or_default(),
        recently_authenticated,
        reauthentication,
        mail: state.settings.mail.is_some(),
    })
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
    /// The host of the protected app that asks for two factors (the page's valid `rd`).
    pub asked_by: Option<String>,
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
            code_digits: DEFAULT_CODE_DIGITS,
            counter_based: false,
            widely_supported: true,
            parameters: String::new(),
            asked_by: None,
        }
    }
}

#[server(endpoint = "ui/setup")]
pub async fn load_setup_page() -> Result<SetupPageData, ApiError> {
    use crate::server::session::request_context;
    use domain::{credentials::otp_params::OtpKind, flows::two_factor_setup, visitor::Visitor};
    let (state, session) = request_context()?;
    let visitor = Visitor::of(&state, &session).await?;
    let signed_in = visitor.signed_in()?;
    // The key is shown only to a recent sign-in: an older session first confirms the password.
    if !signed_in.is_recent(&state) {
        let username = signed_in.identity.username.clone();
        return Ok(SetupPageData::awaiting_reauthentication(username, state.settings.issuer.clone()));
    }
    let account = signed_in.account(&state).await?;
    let offer = two_factor_setup::current_or_start(&state, &session, &account).await?;
    Ok(SetupPageData {
        username: account.username,
        issuer: state.settings.issuer.clone(),
        secret: offer.secret.to_base32(),
        grouped_secret: offer.secret.to_grouped_base32(),
        otpauth_uri: offer.otpauth_uri,
        qr_svg: offer.qr_svg,
        recently_authenticated: true,
        code_digits: offer.params.digits,
        counter_based: offer.params.kind == OtpKind::Hotp,
        widely_supported: offer.params.is_widely_supported(),
        parameters: offer.params.describe(),
        asked_by: page_return_to(&state.settings).and_then(|rd| rd.authority().map(str::to_owned)),
    })
}

/// The second factors the account waiting for its second step has, for `/login/2fa`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondFactorOptions {
    /// How many digits the app's codes have.
    pub digits: usize,
    /// An authenticator app (the code field).
    pub app: bool,
    /// At least one security key ("Use a security key").
    pub security_key: bool,
    /// `REMEMBER_DEVICE_DAYS`: the days of "Don't ask again on this device" (0: not offered).
    pub remember_days: u32,
}

impl Default for SecondFactorOptions {
    /// No account waits (the page then only sends the visitor back to `/login`): the code field.
    fn default() -> Self {
        Self { digits: DEFAULT_CODE_DIGITS, app: true, security_key: false, remember_days: 0 }
    }
}

#[server(endpoint = "ui/second-factors")]
pub async fn load_second_factor_options() -> Result<SecondFactorOptions, ApiError> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let visitor = domain::visitor::Visitor::of(&state, &session).await?;
    let account = visitor.awaiting_second_factor(&state, &session).await.ok();
    Ok(account.map_or_else(SecondFactorOptions::default, |a| SecondFactorOptions {
        digits: a.otp.digits,
        app: a.otp_secret.is_some() || a.security_keys == 0,
        security_key: a.security_keys > 0,
        remember_days: state.settings.remember_device_days,
    }))
}
