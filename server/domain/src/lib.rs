//! The sign-in domain. It knows no web framework: the Leptos server functions, plain axum
//! handlers and the operator's command line all call the same flows.
//!
//! - `credentials`: value types with no I/O — passwords (Argon2id), one-time passwords (TOTP and
//!   HOTP, one parametric type), recovery codes, the secret box (AES-256-GCM), device tokens.
//! - `input`: turning what a client typed into checked values.
//! - `storage`: all SQL, one module per table family (accounts, setups in progress, throttling,
//!   the security log, the cache of signed-in identities, the sessions as their owner lists them).
//! - `flows`: the journeys — registration, the sign-in steps, verifying a
//!   second factor, 2FA setup and settings, re-authentication, sessions.
//! - `services`, `settings`, `clock`: what the flows are given. Time is a parameter: one clock,
//!   a manual one in tests.
//! - `error`: the one error of every flow.
//! - `visitor`: who is asking — anonymous, half-way in, or signed in with its factors, its time
//!   and its groups — resolved once per request.
//! - `duration`: a duration as operators write it (`45s`, `30m`, `12h`, `7d`).
//! - `access_rules`: who may reach which app behind the forward-auth gate.
//! - `request_target`: the request a proxy asks the gate about, parsed and normalised once.
//! - `openid`: the OpenID Connect provider (signing key, clients, codes and tokens).
//! - `mail`: the messages the sign-in sends (links, notices) and how they are queued.
//! - `user_agent`: a browser's `User-Agent`, shortened to keep and described for a person.

pub mod access_rules;
pub mod clock;
pub mod console;
pub mod credentials;
pub mod duration;
pub mod error;
pub mod flows;
pub mod input;
pub mod mail;
pub mod openid;
pub mod request_target;
pub mod services;
pub mod settings;
pub mod storage;
pub mod user_agent;
pub mod visitor;

pub use clock::Clock;
pub use error::AuthError;
pub use services::Services;
pub use settings::Settings;
