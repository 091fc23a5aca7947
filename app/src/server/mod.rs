//! Server-only code of the web layer (the `ssr` feature): never compiled into the WASM. The
//! sign-in itself is the `domain` crate; this is how its flows meet HTTP.
//!
//! - `state`: what the server functions get from the axum app (the services).
//! - `session`: the visitor's session (tower-sessions) as the domain's `SessionData`.
//! - `wire_error`: the domain error as an HTTP answer (status, `Retry-After`, message), once.
//! - `form_reply`: where a browser without JavaScript goes after a form post, and what it reads.
//! - `flash`: one-shot messages for pages reached by a plain form post.
//! - `device_cookie`: the cookie carrying the device token.
//! - `remember_cookie`: the cookie carrying a remembered device's token.
//! - `client_address`: the client's address, through trusted proxies only.
//! - `content_security_policy`: the CSP of every page.
//! - `email_link`: why a followed verification link verified nothing, for its page.

pub mod client_address;
pub mod content_security_policy;
pub mod device_cookie;
pub mod email_link;
pub mod flash;
pub mod form_reply;
pub mod remember_cookie;
pub mod response_options;
pub mod session;
pub mod site_cookie;
pub mod state;
pub mod wire_error;
