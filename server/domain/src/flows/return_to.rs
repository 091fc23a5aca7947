//! `rd`: where the portal sends a visitor once signed in — the protected app's page the
//! forward-auth gate sent them from (API.md). Only the contract's valid targets are followed;
//! anything else is ignored, so the portal is never an open redirect.

use crate::{
    access_rules::{Decision, Policy, Subject, Target},
    settings::Settings,
};

/// `rd` when it is a valid target, as it will be followed; `None` otherwise.
///
/// Valid: an absolute `http` or `https` URL (only `https` with secure cookies), without user
/// info, whose host is `COOKIE_DOMAIN`, a subdomain of it, or the portal's own host; or a path
/// that begins with `/` and then neither `/` nor `\`. Nothing valid holds a backslash or a
/// control character anywhere.
pub fn checked(rd: &str, settings: &Settings) -> Option<String> {
    if rd.is_empty() || rd.len() > 2048 || rd.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if let Some(rest) = rd.strip_prefix('/') {
        return (!rest.starts_with('/')).then(|| rd.to_owned());
    }
    let (scheme, after) = rd.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let allowed = if settings.secure_cookies { scheme == "https" } else { scheme == "https" || scheme == "http" };
    let authority = after.split(['/', '?', '#']).next()?;
    if !allowed || authority.is_empty() || authority.contains('@') || authority.contains('%') {
        return None;
    }
    let host = host_of(authority)?;
    let portal = settings.public_url.split_once("://").and_then(|(_, a)| host_of(a.split('/').next()?));
    let inside = match &settings.cookie_domain {
        Some(domain) => host == *domain || host.ends_with(&format!(".{domain}")),
        None => false,
    };
    (inside || portal.as_deref() == Some(host.as_str())).then(|| rd.to_owned())
}

/// Percent-encoding of a whole URL as one query value (`?rd=...`): everything but RFC 3986's
/// unreserved characters.
pub fn encode(text: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    utf8_percent_encode(text, VALUE).to_string()
}

/// The page a sign-in ends on: a valid `rd` — through the 2FA setup first when its rule asks
/// two factors of an account that has 2FA off — or else the account page.
pub fn after_sign_in(rd: Option<&str>, settings: &Settings, who: &Subject, two_factor: bool) -> String {
    match rd.and_then(|rd| checked(rd, settings)) {
        Some(rd) if !two_factor && needs_two_factor(&rd, settings, who) => {
            format!("/account/2fa/setup?rd={}", encode(&rd))
        }
        Some(rd) => rd,
        None => "/account".to_owned(),
    }
}

/// Where a sign-in completed with the second factor goes: 2FA is on, so any rule `rd`'s target
/// has is met.
pub fn after_second_factor(rd: Option<&str>, settings: &Settings) -> String {
    after_sign_in(rd, settings, &Subject::default(), true)
}

/// `page` with a valid `rd` carried along (`/login/2fa?rd=...`).
pub fn carried(page: &str, rd: Option<&str>, settings: &Settings) -> String {
    match rd.and_then(|rd| checked(rd, settings)) {
        Some(rd) => format!("{page}?rd={}", encode(&rd)),
        None => page.to_owned(),
    }
}

/// The host of an authority (`host[:port]`), lower-case; `None` when malformed.
fn host_of(authority: &str) -> Option<String> {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(']') || host.ends_with(']') => {
            port.bytes().all(|b| b.is_ascii_digit()).then_some(host)?
        }
        _ => authority,
    };
    let host = host.to_ascii_lowercase();
    let valid =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    valid.then_some(host)
}

/// Whether the rules ask two factors of `who` (name and groups, as the gate sees them) for the
/// target `rd` (already checked).
pub fn needs_two_factor(rd: &str, settings: &Settings, who: &Subject) -> bool {
    let Some((scheme, after)) = rd.split_once("://") else { return false };
    let Some(authority) = after.split(['/', '?', '#']).next() else { return false };
    let Some(host) = host_of(authority) else { return false };
    let path_and_query = &after[authority.len()..];
    let target = Target {
        scheme: scheme.to_ascii_lowercase(),
        host,
        path_and_query: if path_and_query.is_empty() { "/".into() } else { path_and_query.into() },
        method: "GET".into(),
    };
    matches!(settings.access_rules.decide(&target, who), Decision::Policy { policy: Policy::TwoFactor, .. })
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
}
