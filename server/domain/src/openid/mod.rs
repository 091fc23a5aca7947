//! The OpenID Connect provider (API.md, "Apps with their own sign-in"): apps registered by the
//! operator send people here to sign in and get back who signed in, and how (`amr`).
//!
//! - `signing_key`: the RS256 key (OpenSSL) and the ID token it signs.
//! - `keys`, `clients`, `grants`: storage — the sealed signing keys, the registered apps, and the
//!   tokens (kept as hashes) with the single use of codes.
//! - `codes`: authorization codes, sealed instead of stored; `exchange_writer`: the statement
//!   that exchanges them, written by one task on SQLite.
//! - `subject`: the account's stable `sub`.
//! - `authorization`: the authorization request and what it leads to.
//! - `tokens`: the token endpoint's two grants and the userinfo claims.
//! - `access_cache`: live access tokens kept in memory on SQLite (userinfo is asked often).

pub mod access_cache;
pub mod authorization;
pub mod clients;
pub mod codes;
pub mod exchange_writer;
pub mod grant;
pub mod grants;
pub mod keys;
pub mod signing_key;
pub mod subject;
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
