//! The server functions, at the fixed endpoints of `docs/contract/api.md` (`#[server(endpoint = ...)]`
//! serves each at `POST /api/<endpoint>`), and the JSON bodies they answer with.
//!
//! Every field arrives as `Option<String>`, so a missing field is a 400 with a message rather
//! than a decoding failure; a `secret` or any other unknown field is ignored.

pub mod app_passwords;
pub mod apps;
pub mod console;
pub mod invitation;
pub mod manage_two_factor;
pub mod page_data;
pub mod passkeys;
pub mod password_reset;
pub mod profile;
pub mod registration;
pub mod security_keys;
pub mod sessions;
pub mod sign_in;
pub mod two_factor_setup;

pub use crate::api_types::*;
