//! `server authz check`: what the access rules decide for a URL and a user.

use super::{
    database::{find, open_database},
    outcome::{OperatorError, Outcome},
};
use crate::{operator::cli::AuthzCommand, startup::config::Config};

/// `server authz check`: which rule matches, and its decision.
pub async fn authz(config: &Config, command: AuthzCommand) -> Result<Outcome, OperatorError> {
    use domain::{
        access_rules::Decision,
        storage::identities::Identities,
        visitor::{Factors, SignedIn, Visitor},
    };
    let AuthzCommand::Check { url, user, method } = command;
    let target = domain::request_target::Target::parse(&url, &method)
        .map_err(|why| OperatorError::Refused(format!("{url:?} cannot be judged: {why}")))?;
    // The user as the gate would see them once signed in (the rules ask only name and groups).
    let visitor = match user {
        None => Visitor::Anonymous,
        Some(name) => {
            let db = open_database(config).await?;
            let (user_id, _) = find(&db, &name).await?;
            let identity = Identities::uncached().get(&db, user_id).await?.ok_or(OperatorError::NoSuchUser(name))?;
            let factors = if identity.two_factor { Factors::PasswordAndCode } else { Factors::Password };
            Visitor::SignedIn(SignedIn { user_id, identity, authenticated_at: config.clock.now(), factors })
        }
    };
    let rules = &config.settings.access_rules;
    let (matched, decision) = match rules.decide(&target, &visitor) {
        Decision::Policy { policy, rule: Some(index) } => (rules.describe(index), policy.name().to_owned()),
        Decision::Policy { policy, rule: None } => ("no rule: default_policy".to_owned(), policy.name().to_owned()),
        Decision::SignInFirst { rule } => (rules.describe(rule), "sign in first (the rule has subjects)".to_owned()),
        Decision::Forbidden => ("no rule for this user".to_owned(), "deny (403)".to_owned()),
    };
    Ok(Outcome::Printed(format!("matched: {matched}\ndecision: {decision}")))
}
