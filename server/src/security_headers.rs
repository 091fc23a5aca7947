//! Headers on every response: no sniffing, no framing, no referrer leaks, a Content-Security-Policy
//! (pages set theirs with the script nonce), and `no-store` on everything but the static files
//! (pages and API answers may carry secrets, QR codes and recovery codes).

use axum::{
    extract::{Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use http::header;

use crate::anonymous_page_cache::{self, PageCache};

pub async fn add(State(pages): State<PageCache>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/pkg/");
    // The anonymous page cache runs inside this same layer (one layer less for every request).
    let mut response = anonymous_page_cache::serve(&pages, req, next).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !is_static {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
