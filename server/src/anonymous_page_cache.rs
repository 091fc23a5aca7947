//! The pages a visitor without any cookie sees (`/`, `/login`, `/register`) are the same for
//! everyone but for the CSP nonce of their scripts. Each is rendered once per server; later
//! requests get the stored page with a fresh nonce in the body and in the policy. A request with
//! any cookie (a session, a flash message) or a query string is always rendered.
//!
//! Nothing personal can be stored: a response is kept only when it answers a request without
//! cookies, is a 200, and sets no cookie.

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

/// The pages whose anonymous rendering does not depend on the request.
const CACHEABLE: [&str; 3] = ["/", "/login", "/register"];
/// Pages are a few KiB; anything larger is not what this cache is for.
const MAX_PAGE_BYTES: usize = 256 * 1024;

/// A rendered page split at its nonce.
struct Template {
    headers: HeaderMap,
    /// The body between the nonce's occurrences.
    pieces: Vec<Bytes>,
}

/// The pages kept by one server (its settings, `REGISTRATION` say, shape them: each server
/// has its own).
#[derive(Clone, Default)]
pub struct PageCache(Arc<RwLock<HashMap<&'static str, Arc<Template>>>>);

fn cacheable_path(request: &Request) -> Option<&'static str> {
    if request.method() != Method::GET
        || request.uri().query().is_some()
        || request.headers().contains_key(header::COOKIE)
    {
        return None;
    }
    CACHEABLE.into_iter().find(|path| *path == request.uri().path())
}

pub async fn serve(pages: &PageCache, request: Request, next: Next) -> Response {
    let Some(path) = cacheable_path(&request) else { return next.run(request).await };
    let cached = pages.0.read().ok().and_then(|pages| pages.get(path).cloned());
    if let Some(template) = cached {
        return template.render();
    }
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_PAGE_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if parts.status == StatusCode::OK && !parts.headers.contains_key(header::SET_COOKIE) {
        if let Some(template) = Template::split(&parts.headers, &body) {
            if let Ok(mut pages) = pages.0.write() {
                pages.insert(path, Arc::new(template));
            }
        }
    }
    Response::from_parts(parts, Body::from(body))
}

/// The nonce in a page's policy: `... 'nonce-<value>' ...`.
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let policy = headers.get(header::CONTENT_SECURITY_POLICY)?.to_str().ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let length = policy[start..].find('\'')?;
    Some(policy[start..start + length].to_owned()).filter(|n| n.len() >= 16)
}

impl Template {
    fn split(headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let nonce = nonce_of(headers)?;
        let text = std::str::from_utf8(body).ok()?;
        if !text.contains(&nonce) {
            return None;
        }
        let pieces = text.split(nonce.as_str()).map(|piece| Bytes::copy_from_slice(piece.as_bytes())).collect();
        let mut headers = headers.clone();
        headers.remove(header::CONTENT_SECURITY_POLICY);
        headers.remove(header::CONTENT_LENGTH);
        Some(Self { headers, pieces })
    }

    fn render(&self) -> Response {
        let nonce = leptos::nonce::Nonce::new().to_string();
        let mut body = Vec::with_capacity(self.pieces.iter().map(Bytes::len).sum::<usize>() + 4 * nonce.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = self.headers.clone();
        if let Ok(policy) = HeaderValue::from_str(&app::server::content_security_policy::for_nonce(&nonce)) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_page_gets_a_new_nonce_everywhere() {
        let mut headers = HeaderMap::new();
        let old = "AAAAAAAAAAAAAAAAAAAAAA";
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&app::server::content_security_policy::for_nonce(old)).unwrap(),
        );
        let body = format!(r#"<script nonce="{old}">a</script><script nonce="{old}">b</script>"#);
        let template = Template::split(&headers, body.as_bytes()).expect("a nonce to split at");
        let response = template.render();
        let new = nonce_of(response.headers()).expect("a policy with a nonce");
        assert_ne!(new, old);
        let rendered: String =
            template.pieces.iter().map(|p| std::str::from_utf8(p).unwrap()).collect::<Vec<_>>().join(&new);
        assert_eq!(rendered, body.replace(old, &new));
    }

    #[test]
    fn a_page_without_a_nonce_is_not_stored() {
        assert!(Template::split(&HeaderMap::new(), b"<p>hi</p>").is_none());
    }
}
