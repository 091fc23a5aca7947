//! The OpenID Connect provider's endpoints (`docs/contract/oidc.md`); what they
//! decide is `domain::openid`. Discovery, JWKS, token and userinfo are for other origins by
//! design: no `Origin` refusal, `Access-Control-Allow-Origin: *`, and no cookies read.

mod answers;
mod authorize;
mod credentials;
mod discovery;
mod end_session;
mod errors;
mod form_post;
mod jwks;
mod pages;
mod token;
mod userinfo;

/// The provider's paths.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const AUTHORIZE: &str = "/oidc/authorize";
pub const TOKEN: &str = "/oidc/token";
pub const USERINFO: &str = "/oidc/userinfo";
pub const JWKS: &str = "/oidc/jwks";
pub const END_SESSION: &str = "/oidc/logout";
/// Where the page that asks "sign out?" posts its answer (a same-origin form post).
pub const END_SESSION_CONFIRM: &str = "/oidc/logout/confirm";

pub use answers::{cors, preflight};
pub use authorize::authorize;
pub use discovery::discovery;
pub use end_session::{confirm_end_session, end_session};
pub use form_post::post_as_get;
pub use jwks::jwks;
pub use token::token;
pub use userinfo::userinfo;
