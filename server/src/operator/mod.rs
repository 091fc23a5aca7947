//! What the operator subcommands do. Each returns a typed `Outcome` (what to print, whether it
//! succeeded) or an `OperatorError`; `main` prints them and sets the exit code (0 done, 1 refused
//! or not found). The SQL is the domain's storage; the checks are the domain's input rules.

mod access_rules;
pub mod cli;
mod oidc_clients;
mod otp;
mod users;

pub use access_rules::authz;
pub use oidc_clients::oidc;
pub use otp::otp;
pub use users::user;

use crate::{
    infra::database,
    startup::{config::Config, error::StartupError},
};
use domain::{storage::accounts, AuthError};
use sqlx::AnyPool;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The command cannot be done as asked (a taken name, a short password, a malformed key).
    #[error("{0}")]
    Refused(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("database")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Domain(#[from] AuthError),
}

/// What a command did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Migrated,
    Grouped {
        username: String,
        groups: Vec<String>,
    },
    ProfileSet {
        username: String,
    },
    Created {
        username: String,
    },
    Listed {
        accounts: Vec<ListedAccount>,
        json: bool,
    },
    Deleted {
        username: String,
    },
    TwoFactorReset {
        username: String,
    },
    Unlocked {
        username: String,
    },
    /// A value to print: a new key, a code, an otpauth URI.
    Printed(String),
    /// `otp verify`: valid (exit 0) or invalid (exit 1).
    Verified(bool),
}

#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedAccount {
    pub username: String,
    pub two_factor: bool,
    pub codes_locked: bool,
    pub created_at: i64,
    /// How many security keys the account has.
    pub security_keys: i64,
}

impl Outcome {
    /// The lines printed on standard output.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Outcome::Migrated => vec!["migrations applied".into()],
            Outcome::Created { username } => vec![format!("created {username}")],
            Outcome::Listed { accounts, json: true } => {
                vec![serde_json::to_string(accounts).unwrap_or_else(|_| "[]".into())]
            }
            Outcome::Listed { accounts, json: false } => accounts
                .iter()
                .map(|a| {
                    let on = |yes: bool, word: &'static str, other: &'static str| if yes { word } else { other };
                    format!(
                        "{}\t2fa={}\tlocked={}\tkeys={}",
                        a.username,
                        on(a.two_factor, "on", "off"),
                        on(a.codes_locked, "yes", "no"),
                        a.security_keys
                    )
                })
                .collect(),
            Outcome::Deleted { username } => vec![format!("deleted {username}")],
            Outcome::TwoFactorReset { username } => {
                vec![format!("two-factor authentication is off for {username}; recovery codes voided")]
            }
            Outcome::Unlocked { username } => vec![format!("sign-in limits cleared for {username}")],
            Outcome::Grouped { username, groups } if groups.is_empty() => vec![format!("{username} is in no group")],
            Outcome::Grouped { username, groups } => vec![format!("{username} is in {}", groups.join(", "))],
            Outcome::ProfileSet { username } => vec![format!("profile set for {username}")],
            Outcome::Printed(text) => vec![text.clone()],
            Outcome::Verified(valid) => vec![if *valid { "valid" } else { "invalid" }.to_owned()],
        }
    }

    /// Whether the command exits 0.
    pub fn succeeded(&self) -> bool {
        !matches!(self, Outcome::Verified(false))
    }
}

pub(super) async fn open_database(config: &Config) -> Result<AnyPool, OperatorError> {
    let db = database::connect(&config.database_url).await?;
    database::migrate(&db).await?;
    Ok(db.pool)
}

pub async fn migrate(config: &Config) -> Result<Outcome, OperatorError> {
    open_database(config).await?;
    Ok(Outcome::Migrated)
}

pub(super) async fn find(db: &AnyPool, name: &str) -> Result<(i64, String), OperatorError> {
    accounts::find_id(db, name).await?.ok_or_else(|| OperatorError::NoSuchUser(name.to_owned()))
}

/// `result`, and when it is a change that succeeded, announced to a server running on the same
/// SQLite file, which then catches up at once (`outside_changes`). Should the file beside the
/// database not be writable, the server still sees the change within a second (what it keeps
/// in memory lives that long): say so.
pub(super) fn announced(
    config: &Config,
    changes: bool,
    result: Result<Outcome, OperatorError>,
) -> Result<Outcome, OperatorError> {
    let path = database::sqlite_path(&config.database_url).filter(|_| changes && result.is_ok());
    if let Some(Err(e)) = path.map(|path| domain::storage::outside_changes::announce(&path)) {
        eprintln!("note: a server running on this database may take up to a second to see this change ({e})");
    }
    result
}

/// The first line of standard input, without its line ending.
pub fn first_line_of_stdin() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_owned()
}
