//! The Content-Security-Policy of every page: the app's own scripts, the hydration script by its
//! per-response nonce (made by leptos_axum), WebAssembly, and nothing else; no framing.

use http::{header, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub fn for_nonce(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the policy on the page being rendered.
pub fn apply_to_page() {
    let Some(options) = use_context::<ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(&for_nonce(&nonce)) {
        options.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}
