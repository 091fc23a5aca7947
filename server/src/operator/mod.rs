//! What the operator subcommands do. Each returns a typed `Outcome` (what to print, whether it
//! succeeded) or an `OperatorError`; `main` prints them and sets the exit code (0 done, 1 refused
//! or not found). The SQL is the domain's storage; the checks are the domain's input rules.

mod access_rules;
mod backup;
pub mod cli;
mod database;
mod healthcheck;
mod input;
mod invitations;
mod mail;
mod oidc_clients;
mod otp;
mod outcome;
mod users;

pub use access_rules::authz;
pub use backup::{backup, restore};
pub use healthcheck::healthcheck;
pub use input::first_line_of_stdin;
pub use invitations::invite;
pub use mail::mail;
pub use oidc_clients::oidc;
pub use otp::otp;
pub use outcome::{ListedAccount, OperatorError, Outcome};
pub use users::user;

use crate::startup::config::Config;

/// `server migrate`: the schema brought up to date.
pub async fn migrate(config: &Config) -> Result<Outcome, OperatorError> {
    database::open_database(config).await?;
    Ok(Outcome::Migrated)
}
