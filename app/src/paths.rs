//! The portal's pages, named once. Links, form posts, redirects, the page guard and the page
//! caches all use these; the router (`lib.rs`) declares the same paths, and a test of the server
//! checks the two lists agree.

pub const HOME: &str = "/";
pub const REGISTER: &str = "/register";
pub const LOGIN: &str = "/login";
/// The second step of a sign-in: a code, a recovery code or a security key.
pub const SECOND_FACTOR: &str = "/login/2fa";
pub const ACCOUNT: &str = "/account";
pub const TWO_FACTOR_SETUP: &str = "/account/2fa/setup";

/// Every page the router serves.
pub const ALL: [&str; 6] = [HOME, REGISTER, LOGIN, SECOND_FACTOR, ACCOUNT, TWO_FACTOR_SETUP];

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
