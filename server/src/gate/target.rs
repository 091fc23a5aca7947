//! The request a proxy asks about, read from its headers: `X-Forwarded-*` (Traefik, Caddy) or
//! `X-Original-*` (nginx), parsed once into a `Target`.

use axum::http::HeaderMap;
use domain::request_target::{Target, TargetError};

/// Which proxy contract is asked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Contract {
    /// Traefik and Caddy: a redirect for a browser.
    ForwardAuth,
    /// nginx: a 401 with `Location` (nginx's `auth_request` only passes 2xx, 401 and 403).
    AuthRequest,
}

impl Contract {
    pub(super) fn name(self) -> &'static str {
        match self {
            Contract::ForwardAuth => "forward-auth",
            Contract::AuthRequest => "auth-request",
        }
    }

    /// Why a target could not be read: for the operator setting up the proxy.
    pub(super) fn what_the_proxy_must_send(self) -> &'static str {
        match self {
            Contract::ForwardAuth => {
                "The proxy must send X-Forwarded-Proto (http or https), X-Forwarded-Host, X-Forwarded-Uri \
                 (a path beginning with /) and X-Forwarded-Method of the request it asks about."
            }
            Contract::AuthRequest => {
                "The proxy must send X-Original-URL (the absolute http(s) URL) and X-Original-Method of the \
                 request it asks about."
            }
        }
    }
}

pub(super) fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim).filter(|v| !v.is_empty())
}

/// Why no target was read: the proxy sent too little (its configuration is wrong), or it
/// described a request that cannot be judged safely (a crafted one, usually).
#[derive(Debug, PartialEq)]
pub(super) enum TargetRefusal {
    Missing,
    Unjudgeable(TargetError),
}

impl From<TargetError> for TargetRefusal {
    fn from(error: TargetError) -> Self {
        TargetRefusal::Unjudgeable(error)
    }
}

/// Traefik and Caddy: `X-Forwarded-Proto` + `://` + `X-Forwarded-Host` + `X-Forwarded-Uri`.
pub(super) fn forwarded_target(headers: &HeaderMap) -> Result<(Target, String), TargetRefusal> {
    let (Some(scheme), Some(host), Some(uri), Some(method)) = (
        text(headers, "x-forwarded-proto"),
        text(headers, "x-forwarded-host"),
        text(headers, "x-forwarded-uri"),
        text(headers, "x-forwarded-method"),
    ) else {
        return Err(TargetRefusal::Missing);
    };
    if !uri.starts_with('/') {
        return Err(TargetRefusal::Missing);
    }
    let url = format!("{scheme}://{host}{uri}");
    let target = Target::parse(&url, method)?;
    Ok((target, url))
}

/// nginx: `X-Original-URL`, absolute.
pub(super) fn original_target(headers: &HeaderMap) -> Result<(Target, String), TargetRefusal> {
    let (Some(url), Some(method)) = (text(headers, "x-original-url"), text(headers, "x-original-method")) else {
        return Err(TargetRefusal::Missing);
    };
    let target = Target::parse(url, method)?;
    Ok((target, url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn targets_are_read_from_either_contract() {
        let (t, url) = forwarded_target(&headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "App.Example.com"),
            ("x-forwarded-uri", "/a?b=c"),
            ("x-forwarded-method", "get"),
        ]))
        .unwrap();
        assert_eq!((t.host.as_str(), t.resource().as_ref(), t.method.as_str()), ("app.example.com", "/a?b=c", "GET"));
        assert_eq!(url, "https://App.Example.com/a?b=c");
        let (t, _) = original_target(&headers(&[
            ("x-original-url", "http://app.example.com:8080/x"),
            ("x-original-method", "POST"),
        ]))
        .unwrap();
        assert_eq!((t.scheme.as_str(), t.host.as_str(), t.method.as_str()), ("http", "app.example.com", "POST"));
    }

    #[test]
    fn malformed_or_foreign_targets_are_refused() {
        for bad in [
            &[("x-original-url", "ftp://app.example.com/"), ("x-original-method", "GET")][..],
            &[("x-original-url", "https://user:pw@app.example.com/"), ("x-original-method", "GET")],
            &[("x-original-url", "/relative"), ("x-original-method", "GET")],
            &[("x-original-url", "https://app.example.com/"), ("x-original-method", "G E T")],
            &[("x-original-url", "https://app.example.com/")],
        ] {
            assert!(original_target(&headers(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            forwarded_target(&headers(&[("x-forwarded-proto", "https"), ("x-forwarded-host", "a.example.com")])).err(),
            Some(TargetRefusal::Missing)
        );
    }
}
