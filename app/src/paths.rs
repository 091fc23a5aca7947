//! The portal's pages, named once. Links, form posts, redirects, the page guard and the page
//! caches all use these; the router (`lib.rs`) declares the same paths, and a test of the server
//! checks the two lists agree.

pub const HOME: &str = "/";
pub const REGISTER: &str = "/register";
pub const LOGIN: &str = "/login";
/// The second step of a sign-in: a code, a recovery code or a security key.
pub const SECOND_FACTOR: &str = "/login/2fa";
/// The account area: two-factor authentication, recovery codes and security keys.
pub const ACCOUNT: &str = "/account";
/// The account area: "Your sessions", remembered devices, recent security activity.
pub const SESSIONS: &str = "/account/sessions";
/// The account area: "Apps you use", app passwords.
pub const APPS: &str = "/account/apps";
/// The account area: display name and email.
pub const PROFILE: &str = "/account/profile";
pub const TWO_FACTOR_SETUP: &str = "/account/2fa/setup";
/// The operator's console (members of `ADMIN_GROUP` only; a 404 to anyone else).
pub const CONSOLE: &str = "/admin";
/// A person's page in the console: `/admin/people/{username}`.
pub const CONSOLE_PERSON_PREFIX: &str = "/admin/people/";
/// An invitation link: `/invite/{token}`.
pub const INVITATION_PREFIX: &str = "/invite/";
/// "Forgot your password?": asks for a reset link (only with mail on; a 404 without).
pub const FORGOT_PASSWORD: &str = "/forgot-password";
/// A password reset link: `/reset-password/{token}` (the domain builds the link the same way:
/// `domain::flows::password_reset::LINK_PATH`).
pub const RESET_PASSWORD_PREFIX: &str = "/reset-password/";
/// A link that verifies an email address: `/verify-email/{token}` (answered before its page
/// renders; the page shows why a link verified nothing).
pub const VERIFY_EMAIL_PREFIX: &str = "/verify-email/";

/// A person's page in the console.
pub fn console_person(username: &str) -> String {
    format!("{CONSOLE_PERSON_PREFIX}{}", crate::uri::encode_component(username))
}

/// The page of a password reset link.
pub fn reset_password(token: &str) -> String {
    format!("{RESET_PASSWORD_PREFIX}{}", crate::uri::encode_component(token))
}

/// The pages of the account area, in the order of its navigation; each needs a full sign-in.
pub const ACCOUNT_AREA: [&str; 4] = [ACCOUNT, SESSIONS, APPS, PROFILE];

/// Every page the router serves (the pages with a part per person or link as the router
/// writes them).
pub const ALL: [&str; 15] = [
    HOME,
    REGISTER,
    LOGIN,
    SECOND_FACTOR,
    ACCOUNT,
    SESSIONS,
    APPS,
    PROFILE,
    TWO_FACTOR_SETUP,
    CONSOLE,
    "/admin/people/{username}",
    "/invite/{token}",
    FORGOT_PASSWORD,
    "/reset-password/{token}",
    "/verify-email/{token}",
];

/// The page a completed sign-in lands on.
#[cfg(feature = "ssr")]
pub fn landing(landing: domain::flows::return_to::Landing) -> String {
    use domain::flows::return_to::{carried, Landing};
    match landing {
        Landing::ReturnTo(rd) => rd.as_str().to_owned(),
        Landing::TwoFactorSetupFirst(rd) => carried(TWO_FACTOR_SETUP, Some(&rd)),
        Landing::Account => ACCOUNT.to_owned(),
    }
}
