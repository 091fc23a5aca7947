//! `rd`: where the portal sends a visitor once signed in — the protected app's page the
//! forward-auth gate sent them from (`docs/contract/pages.md`). Only the contract's valid targets are followed;
//! anything else is ignored, so the portal is never an open redirect.

use crate::{
    access_rules::{Decision, Policy, Unmet},
    openid::authorization::FRESH_SIGN_IN,
    request_target::{browser_host, encode_component, host_within, parse_authority, Target},
    settings::Settings,
    visitor::Visitor,
};
use std::net::IpAddr;

/// A valid `rd`, checked once where it comes in (`ReturnTo::parse`): the only form in which a
/// return target reaches a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo {
    url: String,
    /// The request the gate would be asked about for it (`None`: a page of the portal's own, or
    /// a URL the gate would refuse to judge, which no rule can then ask two factors for).
    target: Option<Target>,
}

impl ReturnTo {
    /// `rd` when it is a valid target (see `checked`).
    pub fn parse(rd: &str, settings: &Settings) -> Option<Self> {
        let url = checked(rd, settings)?;
        let target =
            if url.starts_with('/') { None } else { Target::parse(url.split('#').next().unwrap_or(&url), "GET").ok() };
        Some(Self { url, target })
    }

    /// A form's or a query's optional `rd`.
    pub fn from_field(rd: Option<&str>, settings: &Settings) -> Option<Self> {
        rd.and_then(|rd| Self::parse(rd, settings))
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host (and port) of an absolute target, as written: what the portal names the
    /// protected app by.
    pub fn authority(&self) -> Option<&str> {
        let (_, rest) = self.url.split_once("://")?;
        rest.split(['/', '?', '#']).next()
    }

    /// Whether this is the way back to an authorization request that waits for a fresh sign-in
    /// (an app's `prompt=login` or `max_age`): the portal then shows its sign-in form even to a
    /// visitor already signed in.
    pub fn asks_fresh_sign_in(&self) -> bool {
        self.url.split_once('?').is_some_and(|(_, query)| {
            query.split('&').any(|pair| pair.split_once('=').map_or(pair, |(name, _)| name) == FRESH_SIGN_IN)
        })
    }

    /// What the target's rule asks of `visitor`'s sign-in at `now` that it lacks (`max_age`
    /// outlived, `factor = "key"` not met): the portal then asks a signed-in visitor for a fresh
    /// sign-in instead of sending them back at once. `None` for a visitor not signed in. `from`
    /// is the client's address as the portal sees it (the gate will see the same one: both are
    /// derived through `TRUSTED_PROXIES`), for rules with `networks`.
    pub fn unmet(&self, settings: &Settings, visitor: &Visitor, from: Option<IpAddr>, now: i64) -> Option<Unmet> {
        let target = self.target.as_ref()?;
        settings.access_rules.decide(target, visitor, from).unmet(visitor, now)
    }

    /// Whether the rules ask two factors of `visitor` coming from `from` for this target.
    fn needs_two_factor(&self, settings: &Settings, visitor: &Visitor, from: Option<IpAddr>) -> bool {
        self.target.as_ref().is_some_and(|target| {
            let owes = visitor.signed_in().is_ok_and(|signed_in| signed_in.owes_second_factor());
            match settings.access_rules.decide(target, visitor, from) {
                Decision::Policy { policy: Policy::TwoFactor, .. } => true,
                Decision::Policy { policy: Policy::OneFactor, .. } => owes,
                _ => false,
            }
        })
    }
}

/// `rd` when it is a valid target, as it will be followed; `None` otherwise.
///
/// Valid: an absolute `http` or `https` URL (only `https` with secure cookies), without user
/// info, whose host is `COOKIE_DOMAIN`, a subdomain of it, or the portal's own host; or a path
/// that begins with `/` and then neither `/` nor `\`. Nothing valid holds a backslash or a
/// control character anywhere. An absolute `rd` is parsed twice and must agree: as a browser
/// parses it (WHATWG URL, the host the browser will visit) and strictly (its authority is a DNS
/// name or an IP literal, with an optional port), so no character a browser rewrites or drops
/// can move the host.
fn checked(rd: &str, settings: &Settings) -> Option<String> {
    if rd.is_empty() || rd.len() > 2048 || rd.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if let Some(rest) = rd.strip_prefix('/') {
        return (!rest.starts_with('/')).then(|| rd.to_owned());
    }
    let (scheme, after) = rd.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let allowed = if settings.secure_cookies { scheme == "https" } else { scheme == "https" || scheme == "http" };
    if !allowed {
        return None;
    }
    let authority = after.split(['/', '?', '#']).next()?;
    let (host, _port) = parse_authority(authority).ok()?;
    let as_browsers_read_it = url::Url::parse(rd).ok()?;
    let same = as_browsers_read_it.scheme() == scheme
        && as_browsers_read_it.username().is_empty()
        && as_browsers_read_it.password().is_none()
        && browser_host(&as_browsers_read_it).as_deref() == Some(host.as_str());
    if !same {
        return None;
    }
    let portal = url::Url::parse(&settings.public_url).ok().and_then(|u| browser_host(&u));
    let inside = settings.cookie_domain.as_deref().is_some_and(|domain| host_within(&host, domain));
    (inside || portal.as_deref() == Some(host.as_str())).then(|| rd.to_owned())
}

/// Where a completed sign-in lands (the web layer names the pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// The protected app's page.
    ReturnTo(ReturnTo),
    /// The 2FA setup first (the target's rule asks two factors of an account with none), then
    /// the protected app's page.
    TwoFactorSetupFirst(ReturnTo),
    /// The account page (no valid `rd`).
    Account,
}

/// Where a sign-in ends: a valid `rd` — through the 2FA setup first when its rule asks two
/// factors of a visitor (coming from `from`) whose account has none — or else the account page.
pub fn after_sign_in(rd: Option<&ReturnTo>, settings: &Settings, visitor: &Visitor, from: Option<IpAddr>) -> Landing {
    let two_factors = visitor.signed_in().is_ok_and(|signed_in| signed_in.factors.two());
    match rd {
        Some(rd) if !two_factors && rd.needs_two_factor(settings, visitor, from) => {
            Landing::TwoFactorSetupFirst(rd.clone())
        }
        Some(rd) => Landing::ReturnTo(rd.clone()),
        None => Landing::Account,
    }
}

/// Where a sign-in completed with the second factor lands: any rule the target has is met.
pub fn after_second_factor(rd: Option<&ReturnTo>) -> Landing {
    rd.map_or(Landing::Account, |rd| Landing::ReturnTo(rd.clone()))
}

/// `page` with a valid `rd` carried along (`/login/2fa?rd=...`).
pub fn carried(page: &str, rd: Option<&ReturnTo>) -> String {
    match rd {
        Some(rd) => format!("{page}?rd={}", encode_component(rd.as_str())),
        None => page.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            cookie_domain: Some("example.com".into()),
            public_url: "https://auth.example.com".into(),
            ..Settings::default()
        }
    }

    #[test]
    fn targets_on_the_cookie_domain_and_local_paths_are_followed() {
        let s = settings();
        for good in [
            "https://app.example.com/docs?page=2",
            "https://example.com/",
            "http://app.example.com:8080/x",
            "https://auth.example.com/account",
            "/account",
            "/account?x=1",
        ] {
            assert_eq!(checked(good, &s).as_deref(), Some(good), "{good}");
        }
    }

    #[test]
    fn the_classic_open_redirect_tricks_are_ignored() {
        let s = settings();
        for bad in [
            "https://evil.test/",
            "https://example.com.evil.test/",
            "https://evilexample.com/",
            "//evil.test/",
            "/\\evil.test",
            "\\\\evil.test",
            "https://app.example.com@evil.test/",
            "https://user:pw@app.example.com/",
            "javascript:alert(1)",
            "JavaScript://app.example.com/%0aalert(1)",
            "data:text/html,hi",
            "https://app.example.com\\@evil.test/",
            "/\t/evil.test",
            "https://evil.test%2F@app.example.com/",
            "https:/evil.test",
            "https://evil.test]x.example.com/",
            "https://evil.test%5dx.example.com/",
            "https://app.example.com./",
            "https://app%2eexample.com/",
            "https://evil.test:x@app.example.com/",
            "https://app.example.com:99999/",
            "https://[::1/",
            "ftp://app.example.com/",
            "",
            "relative/path",
        ] {
            assert_eq!(checked(bad, &s), None, "{bad:?} must be ignored");
        }
        let secure = Settings { secure_cookies: true, ..settings() };
        assert_eq!(checked("http://app.example.com/", &secure), None, "only https with secure cookies");
        let no_domain = Settings { cookie_domain: None, ..settings() };
        assert_eq!(checked("https://app.example.com/", &no_domain), None, "no COOKIE_DOMAIN: the portal only");
    }

    #[test]
    fn the_target_is_percent_encoded_whole() {
        assert_eq!(
            encode_component("https://a.example.com/x?y=1&z=2"),
            "https%3A%2F%2Fa.example.com%2Fx%3Fy%3D1%26z%3D2"
        );
    }
}
