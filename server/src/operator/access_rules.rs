//! `server authz check`: what the access rules decide for a URL, a user and a client address.

use super::{
    database::{find, open_database},
    outcome::{OperatorError, Outcome},
};
use crate::{operator::cli::AuthzCommand, startup::config::Config};

/// `server authz check`: which rule matches, and its decision.
pub async fn authz(config: &Config, command: AuthzCommand) -> Result<Outcome, OperatorError> {
    use domain::{console::rules, visitor::Visitor};
    let AuthzCommand::Check { url, user, method, from } = command;
    let visitor = match user {
        None => Visitor::Anonymous,
        Some(name) => {
            let db = open_database(config).await?;
            find(&db, &name).await?;
            rules::person(&db, &name, config.clock.now()).await.map_err(|e| OperatorError::Refused(e.to_string()))?
        }
    };
    let checked = rules::check(&config.settings.access_rules, &url, &method, from.as_deref(), &visitor)
        .map_err(|e| OperatorError::Refused(e.to_string()))?;
    Ok(Outcome::Printed(format!("matched: {}\ndecision: {}", checked.matched, checked.decision)))
}
