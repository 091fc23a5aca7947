//! A rendered page split at its CSP nonce, so a kept page can be served again with a fresh
//! nonce in its body and its policy (`anonymous`, `signed_in`).

use axum::{body::Body, response::Response};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};

/// A rendered page split at its nonce.
pub struct Template {
    headers: HeaderMap,
    /// The body between the nonce's occurrences.
    pieces: Vec<Bytes>,
}

/// The nonce in a page's policy: `... 'nonce-<value>' ...`.
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let policy = headers.get(header::CONTENT_SECURITY_POLICY)?.to_str().ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let length = policy[start..].find('\'')?;
    Some(policy[start..start + length].to_owned()).filter(|n| n.len() >= 16)
}

impl Template {
    pub fn split(headers: &HeaderMap, body: &[u8]) -> Option<Self> {
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

    pub fn render(&self) -> Response {
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
