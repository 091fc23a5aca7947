//! Server-only code (the `ssr` feature): never compiled into the WASM.
//!
//! - `state`: what the server functions get from the axum app (database pool, settings).
//! - `error`: the domain error and its one mapping to HTTP statuses.
//! - `input`: parsing and validating what a client sends.
//! - `passwords`: Argon2id hashing, off the async runtime, under a concurrency bound.
//! - `totp`: RFC 6238 codes (via totp-rs), the ±1 step window, otpauth URI and QR code.
//! - `secret_box`: AES-256-GCM for TOTP keys at rest.
//! - `throttle`: per-account, per-username (or known device) and per-address attempt limits,
//!   and registrations per address, in the database.
//! - `device_cookie`: the sealed token that marks a browser the owner signed in from before.
//! - `recovery_codes`: single-use codes for a lost phone, stored only as salted hashes.
//! - `accounts`, `enrollments`: the database queries.
//! - `auth_session`: the typed session (anonymous, pending second factor, signed in).
//! - `flash`: one-shot messages for pages reached by a plain form post (JavaScript off).
//! - `second_factor`: checking a code or recovery code (throttle, single use, log).
//! - `security_log`: what happened to each account.
//! - `sign_in`, `two_factor`: the flows, composed from the pieces above.

pub mod accounts;
pub mod auth_session;
pub mod clock;
pub mod content_security_policy;
pub mod device_cookie;
pub mod enrollments;
pub mod error;
pub mod flash;
pub mod identities;
pub mod input;
pub mod otp_policy;
pub mod passwords;
pub mod recovery_codes;
pub mod second_factor;
pub mod secret_box;
pub mod security_log;
pub mod sign_in;
pub mod state;
pub mod throttle;
pub mod totp;
pub mod two_factor;
