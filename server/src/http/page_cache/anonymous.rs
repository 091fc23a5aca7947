//! The pages a visitor without any cookie sees (`/`, `/login`, `/register`) are the same for
//! everyone but for the CSP nonce of their scripts. Each is rendered once per server; later
//! requests get the stored page with a fresh nonce in the body and in the policy. A request with
//! any cookie (a session, a flash message) or a query string is always rendered.
//!
//! Nothing personal can be stored: a response is kept only when it answers a request without
//! cookies, is a 200, and sets no cookie.

use super::template::Template;
use app::paths;
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    middleware::Next,
    response::Response,
};
use http::{header, Method, StatusCode};
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

/// The pages whose anonymous rendering does not depend on the request.
const CACHEABLE: [&str; 3] = [paths::HOME, paths::LOGIN, paths::REGISTER];
/// Pages are a few KiB; anything larger is not what this cache is for.
pub const MAX_PAGE_BYTES: usize = 256 * 1024;

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
