//! What an operator command did (`Outcome`: what to print, whether it succeeded), or why it
//! could not (`OperatorError`).

use crate::startup::error::StartupError;
use domain::AuthError;

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
