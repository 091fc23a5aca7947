//! The OpenID Connect provider's endpoints (`docs/contract/oidc.md`); what they
//! decide is `domain::openid`. Discovery, JWKS, token, introspection and userinfo are for other origins by
//! design: no `Origin` refusal, `Access-Control-Allow-Origin: *`, and no cookies read.

mod answers;
mod authorize;
mod credentials;
mod discovery;
mod end_session;
mod errors;
mod form_post;
mod introspect;
mod jwks;
mod pages;
mod paths;
mod token;
mod userinfo;

pub use answers::{cors, preflight};
pub use authorize::authorize;
pub use discovery::discovery;
pub use end_session::{confirm_end_session, end_session};
pub use form_post::post_as_get;
pub use introspect::introspect;
pub use jwks::jwks;
pub use paths::{AUTHORIZE, DISCOVERY, END_SESSION, END_SESSION_CONFIRM, INTROSPECT, JWKS, TOKEN, USERINFO};
pub use token::token;
pub use userinfo::userinfo;
