//! What an operator may change about the sign-in flows (the server's configuration fills it in).

use crate::{
    access_rules::AccessRules,
    credentials::{otp_params::OtpParams, passwords},
    mail::MailIdentity,
};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Settings {
    /// The name authenticator apps show above the code (the otpauth `issuer`).
    pub issuer: String,
    /// How long after a full sign-in or re-authentication sensitive changes are allowed.
    pub reauthentication_window_seconds: i64,
    /// The one-time-password parameters new enrollments get.
    pub otp_policy: OtpParams,
    /// Whether anyone may create an account (`REGISTRATION=open`), or only the operator.
    pub registration_open: bool,
    /// How many accounts one client address may create per hour.
    pub registrations_per_address_per_hour: u32,
    /// Whether cookies are `Secure` (the site is served over https): the device cookie then
    /// takes the `__Host-` prefix like the session's.
    pub secure_cookies: bool,
    /// How long a password check may wait for a hashing thread before it is answered 503
    /// (`passwords::MAX_WAIT`; not an operator setting: tests shorten it to make the server busy).
    pub password_wait: std::time::Duration,
    /// The portal's address as browsers see it (`PUBLIC_URL`, no trailing slash): every redirect
    /// to the portal is built from it, never from request headers.
    pub public_url: String,
    /// The parent domain of the protected apps (`COOKIE_DOMAIN`), lower-case.
    pub cookie_domain: Option<String>,
    /// Who may reach which protected app (`ACCESS_RULES_FILE`).
    pub access_rules: Arc<AccessRules>,
    /// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The group whose members may use the operator's console (`ADMIN_GROUP`).
    pub admin_group: String,
    /// Whether passkeys may be added and signed in with (`PASSKEYS`, on unless `off`).
    pub passkeys: bool,
    /// How many days "Don't ask again on this device" lasts (`REMEMBER_DEVICE_DAYS`); 0 turns
    /// remembered devices off (the checkbox is not shown, the field and the cookie count for
    /// nothing).
    pub remember_device_days: u32,
    /// Where mail comes from (`MAIL_FROM`, with `SMTP_URL`); `None`: no mail, and every feature
    /// that needs it (verification links, password reset, notices, invitations by mail) hidden.
    pub mail: Option<MailIdentity>,
    /// Password reset requests per account, and per client address, in an hour
    /// (`RESET_LIMIT`); past it the same answer, and no mail.
    pub reset_requests_per_hour: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "TwoFactorSignin".to_owned(),
            reauthentication_window_seconds: 10 * 60,
            otp_policy: OtpParams::default(),
            registration_open: true,
            registrations_per_address_per_hour: 20,
            secure_cookies: false,
            password_wait: passwords::MAX_WAIT,
            public_url: "http://127.0.0.1:3000".to_owned(),
            cookie_domain: None,
            access_rules: Arc::default(),
            trusted_proxies: Vec::new(),
            admin_group: "admins".to_owned(),
            passkeys: true,
            remember_device_days: 30,
            mail: None,
            reset_requests_per_hour: 3,
        }
    }
}
