//! Access rules for the apps behind the forward-auth gate (`ACCESS_RULES_FILE`, TOML,
//! `docs/contract/forward-auth.md`): the first rule that matches a request decides;
//! `default_policy` decides when none does. Pure values: reading the file and answering the proxy are the server's.
//!
//! One piece (over 350 lines, a third of them tests): the file's format, its checks and the
//! decision read the same rule type. Address ranges (`networks`) are read in `networks`.

mod networks;

use networks::{Named, Networks};
use regex::Regex;
use serde::Deserialize;
use std::{borrow::Cow, collections::BTreeMap, net::IpAddr};

/// What a rule asks of a visitor. Declared from the least strict to the strictest (`Ord`): where
/// a client is in several named networks with a default of their own, the strictest applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// No sign-in needed.
    Bypass,
    /// A completed sign-in (both factors where 2FA is on).
    OneFactor,
    /// A completed sign-in with two factors.
    TwoFactor,
    /// Nobody.
    Deny,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Bypass => "bypass",
            Policy::OneFactor => "one_factor",
            Policy::TwoFactor => "two_factor",
            Policy::Deny => "deny",
        }
    }
}

pub use crate::request_target::Target;
use crate::visitor::{SignedIn, Visitor};

/// What a rule asks of the sign-in itself, beyond its policy (`max_age`, `factor = "key"`). Only
/// `one_factor` and `two_factor` rules carry demands (the file is refused otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demands {
    /// The last password and second-factor check (`SignedIn::authenticated_at`) at most this
    /// many seconds old.
    pub max_age: Option<i64>,
    /// The second factor a security key or a passkey (`Factors::with_key`).
    pub key: bool,
}

/// What a signed-in visitor lacks for a rule's demands. A fresh sign-in (with a key, when `key`)
/// meets both: the portal asks for one, and the session stays signed in meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unmet {
    /// The sign-in is older than `max_age`.
    pub too_old: bool,
    /// The sign-in was made without a security key or passkey.
    pub key: bool,
}

impl Demands {
    /// What `signed_in` lacks at `now` (Unix seconds), if anything.
    pub fn unmet(&self, signed_in: &SignedIn, now: i64) -> Option<Unmet> {
        let too_old = self.max_age.is_some_and(|max_age| now - signed_in.authenticated_at > max_age);
        let key = self.key && !signed_in.factors.with_key();
        (too_old || key).then_some(Unmet { too_old, key })
    }

    /// The demands said for an operator: `a sign-in within 1h with a security key or passkey`
    /// (`None`: no demands).
    pub fn describe(&self) -> Option<String> {
        let within = self.max_age.map(|s| format!(" within {}", crate::duration::describe(s.unsigned_abs())));
        let key = self.key.then_some(" with a security key or passkey");
        (within.is_some() || key.is_some())
            .then(|| format!("a sign-in{}{}", within.unwrap_or_default(), key.unwrap_or_default()))
    }
}

/// The rules' answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The policy applies, with the rule's demands of the sign-in; `rule` is the index of the
    /// rule that matched (`None`: the default, which demands nothing more).
    Policy { policy: Policy, rule: Option<usize>, demands: Demands },
    /// A rule with subjects would match once the visitor is signed in: sign in first.
    SignInFirst { rule: usize },
    /// A signed-in visitor is among no matching rule's subjects, and the default does not let
    /// anyone through.
    Forbidden,
}

/// What a decision means for the visitor it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Through, as the visitor is.
    Admitted,
    /// Not yet: a sign-in (or a sign-in with two factors, or a fresh one: `Decision::unmet`)
    /// would let the visitor through.
    SignInFirst,
    /// Never, whatever the sign-in.
    Refused,
}

impl Decision {
    /// Whether the decision lets `visitor` through at `now` (Unix seconds): `one_factor` asks a
    /// completed sign-in (with two factors from an account whose invitation requires them),
    /// `two_factor` one whose account has a second factor; either, the rule's demands met too.
    pub fn admits(&self, visitor: &Visitor, now: i64) -> Admission {
        let signed_in = visitor.signed_in().ok();
        let met = |demands: &Demands| signed_in.is_some_and(|s| demands.unmet(s, now).is_none());
        match self {
            Decision::Policy { policy: Policy::Deny, .. } | Decision::Forbidden => Admission::Refused,
            Decision::Policy { policy: Policy::Bypass, .. } => Admission::Admitted,
            Decision::Policy { policy: Policy::OneFactor, demands, .. }
                if signed_in.is_some_and(|s| !s.owes_second_factor()) && met(demands) =>
            {
                Admission::Admitted
            }
            Decision::Policy { policy: Policy::TwoFactor, demands, .. }
                if signed_in.is_some_and(|s| s.factors.two()) && met(demands) =>
            {
                Admission::Admitted
            }
            Decision::Policy { .. } | Decision::SignInFirst { .. } => Admission::SignInFirst,
        }
    }

    /// What a signed-in `visitor`, who meets the policy itself, lacks of the rule's demands at
    /// `now`: the portal then asks for a fresh sign-in instead of sending the visitor back at
    /// once. `None` for a visitor not signed in, one the policy itself refuses, or nothing
    /// lacking.
    pub fn unmet(&self, visitor: &Visitor, now: i64) -> Option<Unmet> {
        let signed_in = visitor.signed_in().ok()?;
        match self {
            Decision::Policy { policy: Policy::OneFactor, demands, .. } if !signed_in.owes_second_factor() => {
                demands.unmet(signed_in, now)
            }
            Decision::Policy { policy: Policy::TwoFactor, demands, .. } if signed_in.factors.two() => {
                demands.unmet(signed_in, now)
            }
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct AccessRules {
    default_policy: Policy,
    /// `[networks]`: what the operator named, shown with the rules.
    named: Named,
    /// `[default_policy_for_networks]`: the default for a client in the named network.
    network_defaults: Vec<(String, Policy)>,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    domains: Vec<String>,
    resources: Vec<Regex>,
    methods: Vec<String>,
    subjects: Vec<String>,
    /// Only a client address in one of these matches (`None`: any address, or none).
    networks: Option<Networks>,
    policy: Policy,
    demands: Demands,
    /// `app_passwords = true`: an app password (HTTP Basic or Bearer) is accepted here.
    app_passwords: bool,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default_policy: Option<Policy>,
    /// Named address ranges: `lan = ["192.168.0.0/16", "fd00::/8"]`.
    #[serde(default)]
    networks: BTreeMap<String, Vec<String>>,
    /// The default for a client in a named network: `lan = "one_factor"`.
    #[serde(default)]
    default_policy_for_networks: BTreeMap<String, Policy>,
    #[serde(default)]
    rules: Vec<RuleText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleText {
    domain: OneOrMany,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    subject: Option<OneOrMany>,
    /// Address ranges (CIDR) or names from `[networks]`.
    #[serde(default)]
    networks: Option<OneOrMany>,
    policy: Policy,
    /// `"1h"`, `"30m"`, `"45s"`, `"7d"`, or a number of seconds.
    #[serde(default)]
    max_age: Option<SecondsOrText>,
    /// `"key"`: a security key or passkey.
    #[serde(default)]
    factor: Option<String>,
    /// Whether app passwords are accepted.
    #[serde(default)]
    app_passwords: bool,
}

/// `max_age` as written: a number of seconds or a duration's text.
#[derive(Deserialize)]
#[serde(untagged)]
enum SecondsOrText {
    Seconds(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// A rules file that cannot be used, said in one line naming the problem.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("the access rules are not valid TOML or use an unknown key or policy: {0}")]
    Syntax(String),
    #[error("access rule {rule}: the resource pattern {pattern:?} is not a valid regex: {reason}")]
    Pattern { rule: usize, pattern: String, reason: String },
    #[error("access rule {rule}: {problem}")]
    Rule { rule: usize, problem: String },
    /// `[networks]` or `[default_policy_for_networks]`.
    #[error("access rules, {0}")]
    Networks(String),
}

/// A rule's `max_age` in seconds, or the error naming rule `number`.
fn max_age_seconds(written: SecondsOrText, number: usize) -> Result<i64, RulesError> {
    let seconds = match &written {
        SecondsOrText::Seconds(seconds) => u64::try_from(*seconds).ok().filter(|s| *s > 0),
        SecondsOrText::Text(text) => crate::duration::parse(text).map(|d| d.as_secs()),
    };
    let shown = match &written {
        SecondsOrText::Seconds(seconds) => seconds.to_string(),
        SecondsOrText::Text(text) => format!("{text:?}"),
    };
    seconds.and_then(|s| i64::try_from(s).ok()).ok_or_else(|| RulesError::Rule {
        rule: number,
        problem: format!("the max_age {shown} is not a duration such as \"45s\", \"30m\", \"12h\", \"7d\" or a number of seconds above 0"),
    })
}

impl Default for AccessRules {
    /// No file: every protected request needs two factors.
    fn default() -> Self {
        Self {
            default_policy: Policy::TwoFactor,
            named: Named::default(),
            network_defaults: Vec::new(),
            rules: Vec::new(),
        }
    }
}

impl AccessRules {
    /// Reads the rules from the file's text. Rules are numbered from 1 in errors, as an operator
    /// counts them in the file.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let file: File = toml::from_str(text).map_err(|e| RulesError::Syntax(e.message().to_owned()))?;
        let named = Named::parse(file.networks).map_err(RulesError::Networks)?;
        let network_defaults: Vec<(String, Policy)> = file.default_policy_for_networks.into_iter().collect();
        if let Some((unknown, _)) = network_defaults.iter().find(|(name, _)| named.get(name).is_none()) {
            return Err(RulesError::Networks(format!(
                "[default_policy_for_networks] {unknown}: there is no network of that name in [networks]"
            )));
        }
        let mut rules = Vec::new();
        for (index, rule) in file.rules.into_iter().enumerate() {
            let number = index + 1;
            let domains: Vec<String> = rule.domain.into_vec().into_iter().map(|d| d.to_ascii_lowercase()).collect();
            if domains.is_empty() || domains.iter().any(|d| d.is_empty() || d == "*.") {
                return Err(RulesError::Rule { rule: number, problem: "needs a domain".into() });
            }
            let resources = rule
                .resources
                .iter()
                .map(|pattern| {
                    Regex::new(pattern).map_err(|e| RulesError::Pattern {
                        rule: number,
                        pattern: pattern.clone(),
                        reason: e.to_string().lines().last().unwrap_or_default().trim().to_owned(),
                    })
                })
                .collect::<Result<_, _>>()?;
            let subjects: Vec<String> = rule.subject.map(OneOrMany::into_vec).unwrap_or_default();
            if let Some(bad) = subjects.iter().find(|s| !(s.starts_with("user:") || s.starts_with("group:"))) {
                return Err(RulesError::Rule {
                    rule: number,
                    problem: format!("the subject {bad:?} is neither user:NAME nor group:NAME"),
                });
            }
            let methods = rule.methods.iter().map(|m| m.to_ascii_uppercase()).collect();
            let networks = rule
                .networks
                .map(|written| named.resolve(written.into_vec()))
                .transpose()
                .map_err(|problem| RulesError::Rule { rule: number, problem })?;
            let demands = Demands {
                max_age: rule.max_age.map(|text| max_age_seconds(text, number)).transpose()?,
                key: match rule.factor.as_deref() {
                    None => false,
                    Some("key") => true,
                    Some(other) => {
                        return Err(RulesError::Rule {
                            rule: number,
                            problem: format!("the factor {other:?} is not one this service knows (only \"key\")"),
                        })
                    }
                },
            };
            // A demand of the sign-in means nothing where no sign-in is asked (bypass) or none
            // is enough (deny): refused, rather than read as a protection it is not.
            if demands != Demands::default() && matches!(rule.policy, Policy::Bypass | Policy::Deny) {
                return Err(RulesError::Rule {
                    rule: number,
                    problem: format!(
                        "max_age and factor apply to one_factor and two_factor rules, not to {}",
                        rule.policy.name()
                    ),
                });
            }
            // An app password is no sign-in: it has no age and no second factor to show.
            if rule.app_passwords && demands != Demands::default() {
                return Err(RulesError::Rule {
                    rule: number,
                    problem: "app_passwords cannot be combined with max_age or factor: an app password is no sign-in"
                        .into(),
                });
            }
            rules.push(Rule {
                domains,
                resources,
                methods,
                subjects,
                networks,
                policy: rule.policy,
                demands,
                app_passwords: rule.app_passwords,
            });
        }
        Ok(Self { default_policy: file.default_policy.unwrap_or(Policy::TwoFactor), named, network_defaults, rules })
    }

    /// Whether some rule (or the default) lets a visitor through on a password alone or without
    /// signing in: with open registration, a stranger's new account would pass it.
    pub fn lets_any_account_through(&self) -> bool {
        self.default_policy != Policy::Deny
            || self.network_defaults.iter().any(|(_, policy)| *policy != Policy::Deny)
            || self.rules.iter().any(|r| r.subjects.is_empty() && r.policy != Policy::Deny)
    }

    /// The rules as loaded, one line each, in order, then the default: what the console shows.
    pub fn summary(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .rules
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                let mut line = format!("{}: {}", self.describe(index), rule.policy.name());
                if !rule.resources.is_empty() {
                    let patterns: Vec<&str> = rule.resources.iter().map(Regex::as_str).collect();
                    line.push_str(&format!("; resources {}", patterns.join(" ")));
                }
                if !rule.methods.is_empty() {
                    line.push_str(&format!("; methods {}", rule.methods.join(" ")));
                }
                if !rule.subjects.is_empty() {
                    line.push_str(&format!("; subjects {}", rule.subjects.join(" ")));
                }
                if let Some(networks) = &rule.networks {
                    line.push_str(&format!("; networks {}", networks.written()));
                }
                if let Some(max_age) = rule.demands.max_age {
                    line.push_str(&format!("; max_age {}", crate::duration::describe(max_age.unsigned_abs())));
                }
                if rule.demands.key {
                    line.push_str("; factor key");
                }
                if rule.app_passwords {
                    line.push_str("; app passwords");
                }
                line
            })
            .collect();
        lines.extend(self.named.iter().map(|(name, networks)| format!("network {name}: {}", networks.written())));
        lines.extend(
            self.network_defaults
                .iter()
                .map(|(name, policy)| format!("default from network {name}: {}", policy.name())),
        );
        lines.push(format!("default: {}", self.default_policy.name()));
        lines
    }

    /// Whether some rule or default looks at the client address: when none does, the server
    /// need not work it out for each request.
    pub fn judges_networks(&self) -> bool {
        !self.network_defaults.is_empty() || self.rules.iter().any(|rule| rule.networks.is_some())
    }

    /// Whether an app password may be accepted for `target` from `from`: some rule that allows
    /// them matches it (its subjects aside). When none does, the gate ignores the
    /// `Authorization` header (it checks nothing, and counts nothing as a failure).
    pub fn may_take_app_passwords(&self, target: &Target, from: Option<IpAddr>) -> bool {
        let resource = std::cell::OnceCell::new();
        self.rules.iter().any(|rule| rule.app_passwords && rule.matches(target, &resource, from))
    }

    /// What `decision`, made for a visitor holding a right app password, means for it: `None`
    /// when the deciding rule does not allow app passwords (the default never does), so the
    /// request is judged as if it carried none. On a rule that allows them the app password
    /// stands for a one-factor sign-in that every policy but `deny` lets through: a
    /// `two_factor` rule that allows app passwords accepts them, by the operator's choice.
    pub fn app_password_admission(&self, decision: &Decision) -> Option<Admission> {
        match decision {
            Decision::Policy { policy, rule: Some(index), .. } if self.rules.get(*index)?.app_passwords => {
                Some(match policy {
                    Policy::Deny => Admission::Refused,
                    Policy::Bypass | Policy::OneFactor | Policy::TwoFactor => Admission::Admitted,
                })
            }
            _ => None,
        }
    }

    /// The default for a request from `from`: the strictest of the defaults of the named
    /// networks it is in, with that network's name; else `default_policy` (`None`).
    pub fn default_for(&self, from: Option<IpAddr>) -> (Policy, Option<&str>) {
        self.network_defaults
            .iter()
            .filter(|(name, _)| self.named.get(name).is_some_and(|networks| networks.contain(from)))
            .max_by_key(|(_, policy)| *policy)
            .map_or((self.default_policy, None), |(name, policy)| (*policy, Some(name.as_str())))
    }

    /// How an operator names a rule: `rule 2 (app.example.com, *.ops.example.com)`.
    pub fn describe(&self, index: usize) -> String {
        match self.rules.get(index) {
            Some(rule) => format!("rule {} ({})", index + 1, rule.domains.join(", ")),
            None => format!("rule {}", index + 1),
        }
    }

    /// The decision for `target` asked by `visitor` from the client address `from` (`None`:
    /// unknown, which is in no network): the first rule whose domain, resources, methods and
    /// networks match and whose subjects (if any) include the visitor (by its account's name or
    /// groups: only a completed sign-in has them); else the default for `from`.
    pub fn decide(&self, target: &Target, visitor: &Visitor, from: Option<IpAddr>) -> Decision {
        let who = visitor.username_and_groups();
        let mut excluded_by_subject = false;
        // Path and query as the `resources` patterns see them: put together at most once per
        // decision, and only when a rule has patterns.
        let resource = std::cell::OnceCell::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.matches(target, &resource, from) {
                continue;
            }
            if rule.subjects.is_empty() {
                return Decision::Policy { policy: rule.policy, rule: Some(index), demands: rule.demands };
            }
            match who {
                None => return Decision::SignInFirst { rule: index },
                Some((name, groups)) if rule.has_subject(name, groups) => {
                    return Decision::Policy { policy: rule.policy, rule: Some(index), demands: rule.demands };
                }
                Some(_) => excluded_by_subject = true,
            }
        }
        let (default, _) = self.default_for(from);
        if excluded_by_subject && matches!(default, Policy::Deny) {
            return Decision::Forbidden;
        }
        Decision::Policy { policy: default, rule: None, demands: Demands::default() }
    }
}

impl Rule {
    fn matches<'t>(
        &self,
        target: &'t Target,
        resource: &std::cell::OnceCell<Cow<'t, str>>,
        from: Option<IpAddr>,
    ) -> bool {
        // Hosts are lower case on both sides (the rules when read, the target when parsed).
        let host = target.host.as_str();
        let domain = self.domains.iter().any(|d| match d.strip_prefix("*.") {
            Some(parent) => host.strip_suffix(parent).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => d == host,
        });
        domain
            && self.networks.as_ref().is_none_or(|networks| networks.contain(from))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(&target.method)))
            && (self.resources.is_empty() || {
                let resource = resource.get_or_init(|| target.resource());
                self.resources.iter().any(|r| r.is_match(resource))
            })
    }

    fn has_subject(&self, username: &str, groups: &[String]) -> bool {
        self.subjects.iter().any(|s| match s.split_once(':') {
            Some(("user", name)) => name.eq_ignore_ascii_case(username),
            Some(("group", group)) => groups.iter().any(|g| g == group),
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::Factors;

    const EXAMPLE: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "status.example.com"
policy = "bypass"

[[rules]]
domain = "app.example.com"
resources = ["^/api/"]
methods = ["GET", "HEAD"]
policy = "one_factor"

[[rules]]
domain = ["admin.example.com", "*.ops.example.com"]
subject = ["user:alice", "group:admins"]
policy = "two_factor"

[[rules]]
domain = "secret.example.com"
policy = "deny"
"#;

    fn target(host: &str, path: &str, method: &str) -> Target {
        Target::parse(&format!("https://{host}{path}"), method).expect("a valid test target")
    }

    fn user(name: &str) -> Visitor {
        Visitor::signed_in_for_tests(name, &[], Factors::PasswordAndCode)
    }

    #[test]
    fn only_rules_that_allow_app_passwords_take_them() {
        let rules = AccessRules::parse(
            r#"
[[rules]]
domain = "app.example.com"
resources = ["^/api/"]
policy = "two_factor"
app_passwords = true

[[rules]]
domain = "app.example.com"
subject = "group:admins"
policy = "one_factor"

[[rules]]
domain = "closed.example.com"
policy = "deny"
app_passwords = true
"#,
        )
        .unwrap();
        let script = Visitor::signed_in_for_tests("alice", &[], Factors::Password);
        let api = target("app.example.com", "/api/x", "GET");
        assert!(rules.may_take_app_passwords(&api, None));
        assert!(!rules.may_take_app_passwords(&target("app.example.com", "/home", "GET"), None));
        let decision = rules.decide(&api, &script, None);
        assert_eq!(rules.app_password_admission(&decision), Some(Admission::Admitted));
        // The same visitor on a session would need two factors there.
        assert_eq!(decision.admits(&script, 0), Admission::SignInFirst);
        let home = rules.decide(&target("app.example.com", "/home", "GET"), &script, None);
        assert_eq!(rules.app_password_admission(&home), None, "the default never takes app passwords");
        let closed = rules.decide(&target("closed.example.com", "/", "GET"), &script, None);
        assert_eq!(rules.app_password_admission(&closed), Some(Admission::Refused));
    }

    #[test]
    fn app_passwords_cannot_meet_a_sign_in_demand() {
        let error = AccessRules::parse(
            "[[rules]]\ndomain = \"a.example.com\"\npolicy = \"one_factor\"\nmax_age = \"1h\"\napp_passwords = true\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("access rule 1: app_passwords cannot be combined"), "{error}");
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let rules = AccessRules::parse(EXAMPLE).unwrap();
        let anyone = Visitor::Anonymous;
        let decide = |host, path, method, who: &Visitor| rules.decide(&target(host, path, method), who, None);
        assert_eq!(
            decide("status.example.com", "/", "GET", &anyone),
            Decision::Policy { policy: Policy::Bypass, rule: Some(0), demands: Demands::default() }
        );
        assert_eq!(
            decide("app.example.com", "/api/x?y=1", "GET", &anyone),
            Decision::Policy { policy: Policy::OneFactor, rule: Some(1), demands: Demands::default() }
        );
        // Another method or path: no rule, the default.
        assert_eq!(
            decide("app.example.com", "/api/x", "POST", &anyone),
            Decision::Policy { policy: Policy::TwoFactor, rule: None, demands: Demands::default() }
        );
        assert_eq!(
            decide("APP.example.com", "/home", "GET", &anyone),
            Decision::Policy { policy: Policy::TwoFactor, rule: None, demands: Demands::default() }
        );
        assert_eq!(
            decide("secret.example.com", "/", "GET", &user("alice")),
            Decision::Policy { policy: Policy::Deny, rule: Some(3), demands: Demands::default() }
        );
    }

    #[test]
    fn subjects_and_wildcards() {
        let rules = AccessRules::parse(EXAMPLE).unwrap();
        let admin = Visitor::signed_in_for_tests("bob", &["admins"], Factors::PasswordAndCode);
        assert_eq!(
            rules.decide(&target("x.ops.example.com", "/", "GET",), &admin, None),
            Decision::Policy { policy: Policy::TwoFactor, rule: Some(2), demands: Demands::default() }
        );
        assert_eq!(
            rules.decide(&target("admin.example.com", "/", "GET"), &user("ALICE"), None),
            Decision::Policy { policy: Policy::TwoFactor, rule: Some(2), demands: Demands::default() }
        );
        assert_eq!(
            rules.decide(&target("admin.example.com", "/", "GET"), &Visitor::Anonymous, None),
            Decision::SignInFirst { rule: 2 }
        );
        // "ops.example.com" itself is not a subdomain of itself; a suffix is not a subdomain.
        assert_eq!(
            rules.decide(&target("ops.example.com", "/", "GET"), &admin, None),
            Decision::Policy { policy: Policy::TwoFactor, rule: None, demands: Demands::default() }
        );
        assert_eq!(
            rules.decide(&target("evilops.example.com", "/", "GET"), &admin, None),
            Decision::Policy { policy: Policy::TwoFactor, rule: None, demands: Demands::default() }
        );
        let strict =
            AccessRules::parse(&EXAMPLE.replace("default_policy = \"two_factor\"", "default_policy = \"deny\""))
                .unwrap();
        assert_eq!(
            strict.decide(&target("admin.example.com", "/", "GET"), &user("mallory"), None),
            Decision::Forbidden
        );
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_rule() {
        let error = AccessRules::parse("default_policy = \"maybe\"").unwrap_err().to_string();
        assert!(error.contains("unknown") || error.contains("variant"), "{error}");
        let bad_regex = "[[rules]]\ndomain = \"a.example.com\"\npolicy = \"bypass\"\n\n[[rules]]\ndomain = \"b.example.com\"\nresources = [\"(\"]\npolicy = \"deny\"\n";
        let error = AccessRules::parse(bad_regex).unwrap_err().to_string();
        assert!(error.starts_with("access rule 2: the resource pattern \"(\""), "{error}");
        let error = AccessRules::parse("[[rules]]\ndomain = \"a\"\npolicy = \"bypass\"\nsubject = \"alice\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("access rule 1: the subject"), "{error}");
        assert!(AccessRules::parse("[[rules]]\ndomain = \"a\"\npolicy = \"bypass\"\ncolour = 1\n").is_err());
    }

    #[test]
    fn no_file_means_two_factors_everywhere() {
        assert_eq!(
            AccessRules::default().decide(&target("any.example.com", "/", "GET"), &Visitor::Anonymous, None),
            Decision::Policy { policy: Policy::TwoFactor, rule: None, demands: Demands::default() }
        );
    }

    const DEMANDING: &str = r#"
[[rules]]
domain = "fresh.example.com"
max_age = "1h"
policy = "two_factor"

[[rules]]
domain = "keys.example.com"
factor = "key"
policy = "one_factor"

[[rules]]
domain = "both.example.com"
max_age = 90
factor = "key"
policy = "two_factor"
"#;

    /// Signed in with `factors` at `at` (Unix seconds).
    fn signed_in_at(factors: Factors, at: i64) -> Visitor {
        let mut visitor = Visitor::signed_in_for_tests("alice", &[], factors);
        if let Visitor::SignedIn(signed_in) = &mut visitor {
            signed_in.authenticated_at = at;
        }
        visitor
    }

    #[test]
    fn a_sign_in_older_than_max_age_is_not_allowed_yet_and_a_newer_one_is() {
        let rules = AccessRules::parse(DEMANDING).unwrap();
        let decision = rules.decide(&target("fresh.example.com", "/", "GET"), &Visitor::Anonymous, None);
        let visitor = signed_in_at(Factors::PasswordAndCode, 1_000);
        assert_eq!(decision.admits(&visitor, 1_000 + 3_600), Admission::Admitted, "exactly an hour old");
        assert_eq!(decision.admits(&visitor, 1_000 + 3_601), Admission::SignInFirst);
        assert_eq!(decision.unmet(&visitor, 1_000 + 3_601), Some(Unmet { too_old: true, key: false }));
        assert_eq!(decision.unmet(&visitor, 1_000), None);
        // Not signed in: a sign-in first, not a fresh one.
        assert_eq!(decision.unmet(&Visitor::Anonymous, 0), None);
    }

    #[test]
    fn a_key_rule_admits_a_security_key_or_a_passkey_and_nothing_else() {
        let rules = AccessRules::parse(DEMANDING).unwrap();
        let decision = rules.decide(&target("keys.example.com", "/", "GET"), &Visitor::Anonymous, None);
        for factors in [Factors::PasswordAndKey, Factors::Passkey] {
            assert_eq!(decision.admits(&signed_in_at(factors, 0), 0), Admission::Admitted, "{factors:?}");
        }
        for factors in [Factors::Password, Factors::PasswordAndCode, Factors::PasswordOnRememberedDevice] {
            let visitor = signed_in_at(factors, 0);
            assert_eq!(decision.admits(&visitor, 0), Admission::SignInFirst, "{factors:?}");
            assert_eq!(decision.unmet(&visitor, 0), Some(Unmet { too_old: false, key: true }), "{factors:?}");
        }
    }

    #[test]
    fn demands_are_said_in_the_summary_and_for_the_check() {
        let rules = AccessRules::parse(DEMANDING).unwrap();
        assert_eq!(
            rules.summary(),
            [
                "rule 1 (fresh.example.com): two_factor; max_age 1h",
                "rule 2 (keys.example.com): one_factor; factor key",
                "rule 3 (both.example.com): two_factor; max_age 90s; factor key",
                "default: two_factor",
            ]
        );
        let describe = |host| match rules.decide(&target(host, "/", "GET"), &Visitor::Anonymous, None) {
            Decision::Policy { demands, .. } => demands.describe(),
            other => panic!("{other:?}"),
        };
        assert_eq!(describe("fresh.example.com").as_deref(), Some("a sign-in within 1h"));
        assert_eq!(describe("keys.example.com").as_deref(), Some("a sign-in with a security key or passkey"));
        assert_eq!(
            describe("both.example.com").as_deref(),
            Some("a sign-in within 90s with a security key or passkey")
        );
        assert_eq!(describe("other.example.com"), None);
    }

    #[test]
    fn a_bad_max_age_or_factor_is_refused_naming_the_rule() {
        let rule = |extra: &str, policy: &str| {
            format!("[[rules]]\ndomain = \"a\"\npolicy = \"bypass\"\n\n[[rules]]\ndomain = \"b\"\npolicy = \"{policy}\"\n{extra}\n")
        };
        for bad in ["max_age = \"1.5h\"", "max_age = \"soon\"", "max_age = 0", "max_age = -5", "max_age = \"0s\""] {
            let error = AccessRules::parse(&rule(bad, "two_factor")).unwrap_err().to_string();
            assert!(error.starts_with("access rule 2: the max_age "), "{bad}: {error}");
        }
        let error = AccessRules::parse(&rule("factor = \"otp\"", "two_factor")).unwrap_err().to_string();
        assert!(error.starts_with("access rule 2: the factor \"otp\""), "{error}");
        for policy in ["bypass", "deny"] {
            let error = AccessRules::parse(&rule("max_age = \"1h\"", policy)).unwrap_err().to_string();
            assert!(error.starts_with("access rule 2: max_age and factor apply"), "{error}");
        }
        assert!(AccessRules::parse(&rule("max_age = \"30m\"\nfactor = \"key\"", "one_factor")).is_ok());
        assert!(AccessRules::parse(&rule("max_age = 45", "one_factor")).is_ok());
    }

    const HOME: &str = r#"
default_policy = "two_factor"

[networks]
lan = ["192.168.0.0/16", "fd00::/8"]
office = ["203.0.113.0/24"]
quarantine = ["192.168.66.0/24"]

[default_policy_for_networks]
lan = "one_factor"
quarantine = "deny"

[[rules]]
domain = "media.example.com"
networks = ["lan", "10.8.0.0/24"]
policy = "bypass"

[[rules]]
domain = "media.example.com"
policy = "two_factor"

[[rules]]
domain = "admin.example.com"
networks = "office"
subject = "group:admins"
policy = "one_factor"
"#;

    fn from(address: &str) -> Option<IpAddr> {
        Some(address.parse().unwrap())
    }

    fn policy_of(decision: Decision) -> (Policy, Option<usize>) {
        match decision {
            Decision::Policy { policy, rule, .. } => (policy, rule),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_network_rule_matches_only_a_client_inside_its_networks_in_both_families() {
        let rules = AccessRules::parse(HOME).unwrap();
        let media = target("media.example.com", "/", "GET");
        for inside in ["192.168.1.5", "fd00::5", "10.8.0.7", "::ffff:192.168.1.5"] {
            assert_eq!(
                policy_of(rules.decide(&media, &Visitor::Anonymous, from(inside))),
                (Policy::Bypass, Some(0)),
                "{inside}"
            );
        }
        for outside in ["198.51.100.4", "10.8.1.7", "2001:db8::5", "172.16.0.1"] {
            assert_eq!(
                policy_of(rules.decide(&media, &Visitor::Anonymous, from(outside))),
                (Policy::TwoFactor, Some(1)),
                "{outside}"
            );
        }
    }

    #[test]
    fn a_request_without_a_known_address_matches_no_network_rule_and_no_network_default() {
        let rules = AccessRules::parse(HOME).unwrap();
        let media = target("media.example.com", "/", "GET");
        assert_eq!(policy_of(rules.decide(&media, &Visitor::Anonymous, None)), (Policy::TwoFactor, Some(1)));
        let other = target("other.example.com", "/", "GET");
        assert_eq!(policy_of(rules.decide(&other, &Visitor::Anonymous, None)), (Policy::TwoFactor, None));
        assert_eq!(rules.default_for(None), (Policy::TwoFactor, None));
    }

    #[test]
    fn the_default_differs_for_named_networks_and_the_strictest_of_them_applies() {
        let rules = AccessRules::parse(HOME).unwrap();
        let other = target("other.example.com", "/", "GET");
        let decide = |address| policy_of(rules.decide(&other, &Visitor::Anonymous, from(address)));
        assert_eq!(decide("192.168.1.5"), (Policy::OneFactor, None), "lan");
        assert_eq!(decide("fd00::1"), (Policy::OneFactor, None), "lan, IPv6");
        assert_eq!(decide("198.51.100.4"), (Policy::TwoFactor, None), "outside");
        assert_eq!(decide("203.0.113.9"), (Policy::TwoFactor, None), "office has no default of its own");
        // In lan and in quarantine: the stricter default.
        assert_eq!(decide("192.168.66.6"), (Policy::Deny, None));
        assert_eq!(rules.default_for(from("192.168.66.6")), (Policy::Deny, Some("quarantine")));
        assert_eq!(rules.default_for(from("192.168.1.5")), (Policy::OneFactor, Some("lan")));
    }

    #[test]
    fn networks_and_subjects_both_have_to_match() {
        let rules = AccessRules::parse(HOME).unwrap();
        let admin = Visitor::signed_in_for_tests("bob", &["admins"], Factors::PasswordAndCode);
        let page = target("admin.example.com", "/", "GET");
        assert_eq!(policy_of(rules.decide(&page, &admin, from("203.0.113.9"))), (Policy::OneFactor, Some(2)));
        assert_eq!(policy_of(rules.decide(&page, &admin, from("198.51.100.4"))), (Policy::TwoFactor, None));
        assert_eq!(rules.decide(&page, &Visitor::Anonymous, from("203.0.113.9")), Decision::SignInFirst { rule: 2 });
        assert_eq!(
            policy_of(rules.decide(&page, &Visitor::Anonymous, from("198.51.100.4"))),
            (Policy::TwoFactor, None)
        );
        // Not among the subjects: the default for the address.
        assert_eq!(policy_of(rules.decide(&page, &user("eve"), from("203.0.113.9"))), (Policy::TwoFactor, None));
    }

    #[test]
    fn networks_are_said_in_the_summary() {
        let rules = AccessRules::parse(HOME).unwrap();
        assert_eq!(
            rules.summary(),
            [
                "rule 1 (media.example.com): bypass; networks lan 10.8.0.0/24",
                "rule 2 (media.example.com): two_factor",
                "rule 3 (admin.example.com): one_factor; subjects group:admins; networks office",
                "network lan: 192.168.0.0/16 fd00::/8",
                "network office: 203.0.113.0/24",
                "network quarantine: 192.168.66.0/24",
                "default from network lan: one_factor",
                "default from network quarantine: deny",
                "default: two_factor",
            ]
        );
    }

    #[test]
    fn an_unknown_network_or_a_bad_range_stops_the_file_naming_it() {
        let rule = |networks: &str| {
            format!("[networks]\nlan = [\"10.0.0.0/8\"]\n\n[[rules]]\ndomain = \"a\"\npolicy = \"bypass\"\n\n[[rules]]\ndomain = \"b\"\npolicy = \"bypass\"\nnetworks = {networks}\n")
        };
        assert!(AccessRules::parse(&rule("[\"lan\", \"fd00::/8\", \"192.168.1.5\"]")).is_ok());
        for (bad, said) in [
            ("[\"wan\"]", "access rule 2: the network \"wan\" is neither an address range"),
            ("[\"10.0.0.0/33\"]", "access rule 2: the network \"10.0.0.0/33\" is neither an address range"),
            ("[\"300.1.2.3\"]", "access rule 2: the network \"300.1.2.3\" is neither an address range"),
            ("[]", "access rule 2: networks lists no network"),
        ] {
            let error = AccessRules::parse(&rule(bad)).unwrap_err().to_string();
            assert!(error.starts_with(said), "{bad}: {error}");
            assert!(!error.contains('\n'), "one line: {error}");
        }
        let error = AccessRules::parse("[networks]\nlan = [\"10.0.0.0/8\", \"nope\"]\n").unwrap_err().to_string();
        assert!(error.starts_with("access rules, [networks] lan: \"nope\" is not an address range"), "{error}");
        let error =
            AccessRules::parse("[default_policy_for_networks]\nlan = \"one_factor\"\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "access rules, [default_policy_for_networks] lan: there is no network of that name in [networks]"
        );
        let error =
            AccessRules::parse("[networks]\nlan = [\"10.0.0.0/8\"]\n[default_policy_for_networks]\nlan = \"maybe\"\n")
                .unwrap_err()
                .to_string();
        assert!(error.starts_with("the access rules are not valid TOML"), "{error}");
    }

    #[test]
    fn rules_without_networks_never_need_the_client_address() {
        assert!(!AccessRules::parse(EXAMPLE).unwrap().judges_networks());
        assert!(!AccessRules::parse("[networks]\nlan = [\"10.0.0.0/8\"]\n").unwrap().judges_networks());
        assert!(AccessRules::parse(HOME).unwrap().judges_networks());
        let default_only = "[networks]\nlan = [\"10.0.0.0/8\"]\n[default_policy_for_networks]\nlan = \"bypass\"\n";
        assert!(AccessRules::parse(default_only).unwrap().judges_networks());
    }

    #[test]
    fn a_network_default_that_lets_someone_through_counts_for_open_registration() {
        let closed = AccessRules::parse("default_policy = \"deny\"").unwrap();
        assert!(!closed.lets_any_account_through());
        let lan = AccessRules::parse(
            "default_policy = \"deny\"\n[networks]\nlan = [\"10.0.0.0/8\"]\n[default_policy_for_networks]\nlan = \"one_factor\"\n",
        )
        .unwrap();
        assert!(lan.lets_any_account_through());
    }
}
