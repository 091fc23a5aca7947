//! "Check a URL": what the access rules decide for a URL, a method and a person (or nobody
//! signed in) — the same answer as `server authz check`, which calls this too.

use crate::{
    access_rules::{AccessRules, Decision},
    error::AuthError,
    request_target::Target,
    storage::{accounts, identities::Identities},
    visitor::{Factors, SignedIn, Visitor},
};
use sqlx::AnyPool;
use std::net::IpAddr;

/// Which rule matched, and what it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    pub matched: String,
    /// The policy, and what the rule asks of the sign-in when it asks more
    /// (`two_factor, and a sign-in within 1h`).
    pub decision: String,
    /// What the rule asks of the sign-in beyond its policy (`a sign-in within 1h with a security
    /// key or passkey`), already said in `decision`.
    pub sign_in: Option<String>,
}

/// The person a check is for, as the gate would see them once signed in with every factor
/// they have (the rules ask only name and groups).
pub async fn person(db: &AnyPool, name: &str, now: i64) -> Result<Visitor, AuthError> {
    let no_such = || AuthError::BadInput(format!("There is no account named {:?}.", name.trim()));
    let (user_id, _) = accounts::find_id(db, name.trim()).await?.ok_or_else(no_such)?;
    let identity = Identities::uncached().get(db, user_id).await?.ok_or_else(no_such)?;
    let factors = if identity.two_factor { Factors::PasswordAndCode } else { Factors::Password };
    Ok(Visitor::SignedIn(SignedIn { user_id, identity, authenticated_at: now, factors }))
}

/// The decision for `url` asked with `method` (empty: GET) by `visitor`
/// (`Visitor::Anonymous`: nobody signed in) from the client address `from` (empty or `None`:
/// unknown, which is in no network).
pub fn check(
    rules: &AccessRules,
    url: &str,
    method: &str,
    from: Option<&str>,
    visitor: &Visitor,
) -> Result<RuleCheck, AuthError> {
    let method = if method.trim().is_empty() { "GET".to_owned() } else { method.trim().to_ascii_uppercase() };
    let target = Target::parse(url.trim(), &method)
        .map_err(|why| AuthError::BadInput(format!("{:?} cannot be judged: {why}", url.trim())))?;
    let from = match from.map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
            AuthError::BadInput(format!("{text:?} is not an IP address (such as 192.168.1.5 or fd00::5)."))
        })?),
    };
    let decided = rules.decide(&target, visitor, from);
    let sign_in = match decided {
        Decision::Policy { demands, .. } => demands.describe(),
        Decision::SignInFirst { .. } | Decision::Forbidden => None,
    };
    let (matched, policy) = match decided {
        Decision::Policy { policy, rule: Some(index), .. } => (rules.describe(index), policy.name().to_owned()),
        Decision::Policy { policy, rule: None, .. } => match rules.default_for(from) {
            (_, Some(network)) => (format!("no rule: default_policy_for_networks {network}"), policy.name().to_owned()),
            (_, None) => ("no rule: default_policy".to_owned(), policy.name().to_owned()),
        },
        Decision::SignInFirst { rule } => (rules.describe(rule), "sign in first (the rule has subjects)".to_owned()),
        Decision::Forbidden => ("no rule for this user".to_owned(), "deny (403)".to_owned()),
    };
    let mut decision = match &sign_in {
        Some(demands) => format!("{policy}, and {demands}"),
        None => policy,
    };
    if rules.app_password_admission(&decided).is_some() {
        decision.push_str("; app passwords accepted");
    }
    Ok(RuleCheck { matched, decision, sign_in })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_that_takes_app_passwords_says_so() {
        let rules = AccessRules::parse(
            "[[rules]]\ndomain = \"app.example.com\"\nresources = [\"^/api/\"]\npolicy = \"two_factor\"\napp_passwords = true\n",
        )
        .unwrap();
        let alice = Visitor::signed_in_for_tests("alice", &[], Factors::Password);
        let api = check(&rules, "https://app.example.com/api/x", "", None, &alice).unwrap();
        assert_eq!(api.decision, "two_factor; app passwords accepted");
        let home = check(&rules, "https://app.example.com/", "", None, &alice).unwrap();
        assert_eq!(home.decision, "two_factor");
    }
}
