//! The journeys of the sign-in, each given the `Services` and the visitor's session.
//!
//! - `registration`: a new account, signed in at once.
//! - `sign_in`: the password step, then a code or a recovery code.
//! - `password_check`, `second_factor`: verifying each factor under its throttle, once.
//! - `two_factor_setup`: a key made and kept on the server, confirmed with a code.
//! - `security_keys`: WebAuthn keys added, removed, and used at the second step.
//! - `passkeys`: keys made as passkeys, and the sign-in with one alone (no username, no password).
//! - `two_factor_settings`: new recovery codes, turning 2FA off.
//! - `reauthentication`: password and code again, for sensitive changes.
//! - `return_to`: where a sign-in ends when a protected app sent the visitor (`rd`).
//! - `sessions`: signing out, ending every other session; the account's sessions listed and
//!   ended one by one (and, for an administrator, all at once).
//! - `apps`: the OpenID Connect apps holding access to the account, and removing that access.
//! - `app_passwords`: app passwords made, listed and revoked, and checked for the gate.
//! - `profile`: the display name and email the gate passes on.
//! - `password_reset`: "Forgot your password?" — a link mailed to the verified address, the
//!   same answer in the same time whatever was typed; the new password only with the second
//!   factor where 2FA is on.
//! - `email_verification`: the link that verifies an address, mailed, sent again and followed.
//! - `account_change`: how a change that ends other sessions finishes (or loses a race).
//! - `session`: the stage a session carries, over any session store.

pub mod account_change;
pub mod app_passwords;
pub mod apps;
pub mod email_verification;
pub mod passkeys;
pub mod password_check;
pub mod password_reset;
pub mod profile;
pub mod reauthentication;
pub mod registration;
pub mod remembered_devices;
pub mod return_to;
pub mod second_factor;
pub mod security_keys;
pub mod session;
pub mod sessions;
pub mod sign_in;
pub mod two_factor_settings;
pub mod two_factor_setup;
