//! The OpenID Connect provider (`docs/contract/oidc.md`): apps registered by the
//! operator send people here to sign in and get back who signed in, and how (`amr`).
//!
//! - `authorization`: the authorization request and what it leads to.
//! - `tokens`: the token endpoint's two grants and the userinfo claims.
//! - `codes`: authorization codes, sealed instead of stored.
//! - `errors`: the protocol's errors, typed (RFC 6749 §4.1.2.1 and §5.2).
//! - `end_session`: an app asking to end the session, and where the browser goes after.
//! - `signing_key`: the RS256 key (OpenSSL) and the ID token it signs.
//! - `grant`: what a code or a token stands for.
//! - `store/`: what the provider keeps (registered apps, signing keys, tokens, `sub`, the
//!   in-memory copy of live access tokens). The algorithms above decide; the store reads and
//!   writes.

pub mod authorization;
pub mod codes;
pub mod end_session;
pub mod errors;
pub mod grant;
pub mod signing_key;
pub mod store;
pub mod tokens;
