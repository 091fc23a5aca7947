//! The request a proxy asks the forward-auth gate about, parsed once into the values the access
//! rules judge: the host the proxy routed it to and the path the app will serve.
//!
//! Invariants of a parsed [`Target`]:
//! - `host` is a lower-case DNS name (letters, digits, `-`, `_`; no empty label, no trailing
//!   dot; its last label is not all digits) or an IP literal (`1.2.3.4`, `[::1]`).
//! - `path` begins with `/` and is what common servers serve for the raw path: percent-encoded
//!   unreserved characters (`%2e` and `%61` included) are decoded, other escapes kept with
//!   upper-case hex, repeated slashes merged and dot segments removed (RFC 3986 §5.2.4).
//! - A raw path that servers could resolve in two ways is refused instead of guessed:
//!   an encoded `/` or `\`, a raw `\`, a control character (raw or encoded), invalid
//!   percent-encoding (or escapes that are not UTF-8), a `.` or `..` segment carrying `;`
//!   parameters (servlet containers strip them and climb), a path whose result depends on
//!   whether slashes are merged before or after the dot segments go, a path ending in a dot
//!   segment (`/a/.` is `/a/` to some servers and `/a` to others), and a fragment (`#`).
//! - Case is kept: paths compare as written (rules use `(?i)` for apps that ignore case), and a
//!   `;` elsewhere stays part of its segment, as RFC 3986 and most servers read it.
//!
//! One piece (over 350 lines, a quarter of them tests): the parsing and the normalisation
//! decide together what a target is; split, one could accept what the other would judge
//! differently.

use std::{
    borrow::Cow,
    net::{Ipv4Addr, Ipv6Addr},
};

/// A request to a protected app, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower case, without the port.
    pub host: String,
    pub port: Option<u16>,
    /// Normalised (see the module's invariants).
    pub path: String,
    /// The raw query, without the `?`.
    pub query: Option<String>,
    /// Upper case.
    pub method: String,
}

/// Why a target cannot be judged: the gate answers 400 with this sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the target is not an absolute http or https URL")]
    NotAbsoluteHttp,
    #[error("the target carries user info (user@host)")]
    UserInfo,
    #[error("the target's host is not a DNS name or an IP literal (a trailing dot is refused)")]
    BadHost,
    #[error("the target's port is not a number from 1 to 65535")]
    BadPort,
    #[error("the target holds a control character or a raw backslash")]
    ControlOrBackslash,
    #[error("the target holds a fragment (#)")]
    Fragment,
    #[error("the target's path holds an encoded / or \\ (%2F, %5C)")]
    EncodedSeparator,
    #[error("the target's path holds invalid percent-encoding")]
    BadPercentEncoding,
    #[error("the target's path holds a dot segment with ; parameters")]
    DotSegmentWithParameters,
    #[error("the target's path resolves differently depending on how repeated slashes are merged")]
    AmbiguousSlashes,
    #[error("the target's path ends in a dot segment, which servers resolve with or without a trailing slash")]
    TrailingDotSegment,
    #[error("the method is not an HTTP method")]
    BadMethod,
}

impl Target {
    /// Parses an absolute `http(s)` URL and a method into a target.
    pub fn parse(url: &str, method: &str) -> Result<Target, TargetError> {
        if url.bytes().any(|b| b.is_ascii_control() || b == b'\\' || !b.is_ascii()) {
            return Err(TargetError::ControlOrBackslash);
        }
        if url.contains('#') {
            return Err(TargetError::Fragment);
        }
        let method = method.trim().to_ascii_uppercase();
        if method.is_empty() || method.len() > 16 || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(TargetError::BadMethod);
        }
        let (scheme, rest) = url.split_once("://").ok_or(TargetError::NotAbsoluteHttp)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(TargetError::NotAbsoluteHttp);
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(TargetError::UserInfo);
        }
        let (host, port) = parse_authority(authority)?;
        let (raw_path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (path_and_query, None),
        };
        let raw_path = if raw_path.is_empty() { "/" } else { raw_path };
        let path = normalize_path(raw_path)?.into_owned();
        Ok(Target { scheme, host, port, path, query, method })
    }

    /// What `resources` patterns match: the normalised path, then `?` and the raw query.
    pub fn resource(&self) -> Cow<'_, str> {
        match &self.query {
            Some(query) => Cow::Owned(format!("{}?{query}", self.path)),
            None => Cow::Borrowed(&self.path),
        }
    }
}

/// `host[:port]` of an authority: the host checked and lower-cased, the port a number.
pub fn parse_authority(authority: &str) -> Result<(String, Option<u16>), TargetError> {
    let (host, port) = if let Some(after_bracket) = authority.strip_prefix('[') {
        let (literal, after) = after_bracket.split_once(']').ok_or(TargetError::BadHost)?;
        literal.parse::<Ipv6Addr>().map_err(|_| TargetError::BadHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(TargetError::BadHost)?),
        };
        (format!("[{}]", literal.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        (checked_host(host).ok_or(TargetError::BadHost)?, port)
    };
    let port = match port {
        None => None,
        Some(digits) => {
            let valid = !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit());
            let number: u32 = if valid { digits.parse().map_err(|_| TargetError::BadPort)? } else { 0 };
            Some(u16::try_from(number).ok().filter(|p| *p > 0).ok_or(TargetError::BadPort)?)
        }
    };
    Ok((host, port))
}

/// Whether `host` is `domain` or one of its subdomains (both lower case, as parsed).
pub fn host_within(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|sub| sub.ends_with('.'))
}

/// A DNS name or an IPv4 literal, lower-cased; `None` for anything else (an empty label, a
/// trailing dot, a character outside letters, digits, `-` and `_`, or a numeric last label
/// that is not a valid IPv4 address, which resolvers would read as one).
pub fn checked_host(host: &str) -> Option<String> {
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        return Some(host.to_owned());
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let last_numeric = host.rsplit('.').next().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    (labels_ok && !last_numeric).then(|| host.to_ascii_lowercase())
}

/// The path a server serves for `raw` (see the module's invariants).
pub fn normalize_path(raw: &str) -> Result<Cow<'_, str>, TargetError> {
    debug_assert!(raw.starts_with('/'));
    let decoded = decode_unreserved(raw)?;
    if decoded.split('/').any(|segment| segment.split_once(';').is_some_and(|(name, _)| name == "." || name == "..")) {
        return Err(TargetError::DotSegmentWithParameters);
    }
    if decoded.rsplit('/').next().is_some_and(|last| last == "." || last == "..") {
        return Err(TargetError::TrailingDotSegment);
    }
    let dotted = decoded.split('/').any(|s| s == "." || s == "..");
    let doubled = decoded.contains("//");
    Ok(match (dotted, doubled) {
        (false, false) => decoded,
        (true, false) => Cow::Owned(remove_dot_segments(&decoded)),
        (false, true) => Cow::Owned(merge_slashes(&decoded)),
        (true, true) => {
            let merged_first = remove_dot_segments(&merge_slashes(&decoded));
            if merge_slashes(&remove_dot_segments(&decoded)) != merged_first {
                return Err(TargetError::AmbiguousSlashes);
            }
            Cow::Owned(merged_first)
        }
    })
}

/// Decodes escapes of unreserved characters and upper-cases the hex of the others. Refuses an
/// encoded separator or control character, a `%` not followed by two hex digits, and escapes
/// whose bytes are not UTF-8.
fn decode_unreserved(raw: &str) -> Result<Cow<'_, str>, TargetError> {
    if !raw.contains('%') {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut fully_decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            out.push(b as char);
            fully_decoded.push(b);
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).ok_or(TargetError::BadPercentEncoding)?;
        let value = match (hex_value(hex[0]), hex_value(hex[1])) {
            (Some(high), Some(low)) => high << 4 | low,
            _ => return Err(TargetError::BadPercentEncoding),
        };
        match value {
            b'/' | b'\\' => return Err(TargetError::EncodedSeparator),
            v if v.is_ascii_control() => return Err(TargetError::ControlOrBackslash),
            v if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') => out.push(v as char),
            _ => {
                out.push('%');
                out.push(hex[0].to_ascii_uppercase() as char);
                out.push(hex[1].to_ascii_uppercase() as char);
            }
        }
        fully_decoded.push(value);
        i += 3;
    }
    std::str::from_utf8(&fully_decoded).map_err(|_| TargetError::BadPercentEncoding)?;
    Ok(Cow::Owned(out))
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// Repeated slashes become one.
fn merge_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// RFC 3986 §5.2.4 on an absolute path: `.` segments go, `..` removes the segment before it
/// (never climbing above the root), and a trailing `.` or `..` leaves a trailing slash.
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (index, segment) in segments.iter().enumerate() {
        match *segment {
            "." => trailing_slash = index == last,
            ".." => {
                kept.pop();
                trailing_slash = index == last;
            }
            other => {
                kept.push(other);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    out
}

/// The host a browser visits for `url` (WHATWG parsing), written as [`parse_authority`] writes
/// hosts: lower case, an IPv6 literal in brackets.
pub fn browser_host(url: &url::Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(name) => Some(name.to_ascii_lowercase()),
        url::Host::Ipv4(address) => Some(address.to_string()),
        url::Host::Ipv6(address) => Some(format!("[{address}]")),
    }
}

/// Percent-encoding of a text as one URI component — a query value (`?rd=...`), an `otpauth`
/// label: everything but RFC 3986's unreserved characters.
pub fn encode_component(text: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    utf8_percent_encode(text, UNRESERVED_KEPT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(url_path: &str) -> Result<String, TargetError> {
        Target::parse(&format!("https://app.example.com{url_path}"), "GET").map(|t| t.path)
    }

    #[test]
    fn paths_are_judged_as_servers_serve_them() {
        for (raw, served) in [
            ("/", "/"),
            ("", "/"),
            ("/api/../admin/", "/admin/"),
            ("/api/%2e%2e/secret/", "/secret/"),
            ("/api/%2E%2E/secret", "/secret"),
            ("/api/.%2e/secret", "/secret"),
            ("/%61dmin", "/admin"),
            ("//admin", "/admin"),
            ("/./admin", "/admin"),
            ("/x/../admin", "/admin"),
            ("/../admin", "/admin"),
            ("/a/%7euser", "/a/~user"),
            ("/a%20b", "/a%20b"),
            ("/a%c3%a9", "/a%C3%A9"),
            ("/%252e%252e/admin", "/%252e%252e/admin"),
            ("/admin;jsessionid=1/x", "/admin;jsessionid=1/x"),
            ("/a//b", "/a/b"),
            ("/a//b/../c", "/a/c"),
        ] {
            assert_eq!(path_of(raw).as_deref(), Ok(served), "{raw:?}");
        }
    }

    #[test]
    fn paths_that_servers_read_in_two_ways_are_refused() {
        for (raw, why) in [
            ("/api%2f..%2fadmin", TargetError::EncodedSeparator),
            ("/api%2F..", TargetError::EncodedSeparator),
            ("/api%5c..%5cadmin", TargetError::EncodedSeparator),
            ("/api/%00", TargetError::ControlOrBackslash),
            ("/api/%zz", TargetError::BadPercentEncoding),
            ("/api/%2", TargetError::BadPercentEncoding),
            ("/api/%c0%ae%c0%ae/admin", TargetError::BadPercentEncoding),
            ("/api/..;/admin", TargetError::DotSegmentWithParameters),
            ("/api/.;x/admin", TargetError::DotSegmentWithParameters),
            ("/api/%2e%2e;/admin", TargetError::DotSegmentWithParameters),
            ("/a//../admin", TargetError::AmbiguousSlashes),
            ("/public/.", TargetError::TrailingDotSegment),
            ("/public/x/..", TargetError::TrailingDotSegment),
            ("/public/x/%2e%2e", TargetError::TrailingDotSegment),
            ("/api/x#/../../admin", TargetError::Fragment),
        ] {
            assert_eq!(path_of(raw), Err(why), "{raw:?}");
        }
        assert_eq!(Target::parse("https://app.example.com/a\\..\\admin", "GET"), Err(TargetError::ControlOrBackslash));
        assert_eq!(Target::parse("https://app.example.com/a\tb", "GET"), Err(TargetError::ControlOrBackslash));
    }

    #[test]
    fn the_query_stays_raw_and_follows_the_normalised_path() {
        let t = Target::parse("https://app.example.com/api/../public/?next=/../admin&x=%2f", "get").unwrap();
        assert_eq!(
            (t.path.as_str(), t.query.as_deref(), t.method.as_str()),
            ("/public/", Some("next=/../admin&x=%2f"), "GET")
        );
        assert_eq!(t.resource(), "/public/?next=/../admin&x=%2f");
    }

    #[test]
    fn hosts_are_dns_names_or_ip_literals_compared_in_lower_case() {
        for (url, host, port) in [
            ("https://App.Example.COM/", "app.example.com", None),
            ("http://app.example.com:8080/x", "app.example.com", Some(8080)),
            ("http://127.0.0.1:3000/", "127.0.0.1", Some(3000)),
            ("http://[::1]:3000/", "[::1]", Some(3000)),
            ("http://my_host.internal/", "my_host.internal", None),
        ] {
            let t = Target::parse(url, "GET").unwrap();
            assert_eq!((t.host.as_str(), t.port), (host, port), "{url}");
        }
        for url in [
            "https://app.example.com./",
            "https://evil.test]x.example.com/",
            "https://.example.com/",
            "https://a..example.com/",
            "https://app.example.com:/",
            "https://app.example.com:0/",
            "https://app.example.com:65536/",
            "https://app.example.com:80:80/",
            "https://127.1/",
            "https://[::1/",
            "https:///x",
            "https://exa%6dple.com/",
        ] {
            assert!(Target::parse(url, "GET").is_err(), "{url}");
        }
        assert_eq!(Target::parse("https://u:p@app.example.com/", "GET"), Err(TargetError::UserInfo));
        assert_eq!(Target::parse("ftp://app.example.com/", "GET"), Err(TargetError::NotAbsoluteHttp));
        assert_eq!(Target::parse("/relative", "GET"), Err(TargetError::NotAbsoluteHttp));
        assert_eq!(Target::parse("https://app.example.com/", "G E T"), Err(TargetError::BadMethod));
    }
}
