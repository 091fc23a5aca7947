//! The OpenID Connect provider (API.md, "Apps with their own sign-in"): apps registered by the
//! operator send people here to sign in and get back who signed in, and how (`amr`).
//!
//! - `authorization`: the authorization request and what it leads to.
//! - `tokens`: the token endpoint's two grants and the userinfo claims.
//! - `codes`: authorization codes, sealed instead of stored.
//! - `signing_key`: the RS256 key (OpenSSL) and the ID token it signs.
//! - `grant`: what a code or a token stands for.
//! - `store/`: what the provider keeps (registered apps, signing keys, tokens, `sub`, the
//!   in-memory copy of live access tokens). The algorithms above decide; the store reads and
//!   writes.

pub mod authorization;
pub mod codes;
pub mod grant;
pub mod signing_key;
pub mod store;
pub mod tokens;

/// How a sign-in was made (RFC 8176): a password alone, a password and a one-time password (an
/// app's code or a recovery code), or a password and a security key (proof of a hardware key).
pub fn amr(two_factor: bool, security_key: bool) -> Vec<&'static str> {
    match (two_factor, security_key) {
        (false, _) => vec!["pwd"],
        (true, false) => vec!["pwd", "otp", "mfa"],
        (true, true) => vec!["pwd", "hwk", "mfa"],
    }
}
