//! Headers on every response: no sniffing, no framing, no referrer leaks, a Content-Security-Policy
//! (pages set theirs with the script nonce), and `no-store` on everything but the static files
//! (pages and API answers may carry secrets, QR codes and recovery codes). Every cookie named
//! `__Host-…` or `__Secure-…` leaves with `Secure`, which browsers require of such names: the
//! session library writes its clearing cookie (at logout) without it, and a browser would ignore
//! that cookie and keep the session's.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};
use http::header;

use crate::http::page_cache::anonymous::{self, PageCache};

pub async fn add(State(pages): State<PageCache>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/pkg/");
    // The anonymous page cache runs inside this same layer (one layer less for every request).
    let mut response = anonymous::serve(&pages, req, next).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !is_static {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if headers.contains_key(header::SET_COOKIE) {
        secure_prefixed_cookies(headers);
    }
    // Pages set their own policy (with the script nonce); anything else may load nothing.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}

/// Adds `Secure` to each `__Host-` or `__Secure-` cookie set without it.
fn secure_prefixed_cookies(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if !cookies.iter().any(|c| needs_secure(c.as_bytes())) {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        let cookie = if needs_secure(cookie.as_bytes()) {
            let mut bytes = cookie.as_bytes().to_vec();
            bytes.extend_from_slice(b"; Secure");
            HeaderValue::from_bytes(&bytes).unwrap_or(cookie)
        } else {
            cookie
        };
        headers.append(header::SET_COOKIE, cookie);
    }
}

fn needs_secure(cookie: &[u8]) -> bool {
    let prefixed = cookie.starts_with(b"__Host-") || cookie.starts_with(b"__Secure-");
    prefixed
        && !cookie.split(|b| *b == b';').skip(1).any(|attribute| attribute.trim_ascii().eq_ignore_ascii_case(b"secure"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_cookies_leave_with_secure() {
        let mut headers = HeaderMap::new();
        for cookie in [
            "__Host-session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "__Secure-session=; Domain=example.com; Path=/; Max-Age=0",
            "__Host-device=abc; Path=/; Secure; HttpOnly",
            "flash=; Path=/; Max-Age=0",
        ] {
            headers.append(header::SET_COOKIE, HeaderValue::from_static(cookie));
        }
        secure_prefixed_cookies(&mut headers);
        let sent: Vec<&str> = headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(
            sent,
            [
                "__Host-session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure",
                "__Secure-session=; Domain=example.com; Path=/; Max-Age=0; Secure",
                "__Host-device=abc; Path=/; Secure; HttpOnly",
                "flash=; Path=/; Max-Age=0",
            ]
        );
    }
}
