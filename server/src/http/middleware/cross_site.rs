//! A state-changing request from another site — a foreign `Origin`, `Origin: null` (sandboxed
//! frames, some redirects) or the browser's own `Sec-Fetch-Site: cross-site` — gets 403 and
//! changes nothing. A request without `Origin` (scripts, curl) is fine.

use super::{body_limit, json_errors::json_error};
use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    response::Response,
};

/// Whether `request` must be refused: it would change state, and it comes from another site.
pub fn must_refuse(request: &Request) -> bool {
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    changes_state && is_cross_site(request.headers())
}

/// The 403, once the body is read and thrown away (so the client hears the answer).
pub async fn refuse(request: Request) -> Response {
    body_limit::drain(request.into_body()).await;
    json_error(StatusCode::FORBIDDEN, "This request came from another site and was refused.")
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site == Some("cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let Ok(origin) = origin.to_str() else { return true };
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    authority.is_empty() || !authority.eq_ignore_ascii_case(host)
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
    fn requests_without_origin_are_not_cross_site() {
        assert!(!is_cross_site(&headers(&[("host", "127.0.0.1:3000")])));
    }

    #[test]
    fn our_own_origin_is_accepted_and_others_are_not() {
        assert!(!is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3001")])));
        assert!(is_cross_site(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")])));
    }
}
