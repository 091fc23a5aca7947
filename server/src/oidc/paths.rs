//! The provider's endpoints, where the router mounts them and discovery names them.

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const AUTHORIZE: &str = "/oidc/authorize";
pub const TOKEN: &str = "/oidc/token";
/// RFC 7662: resource servers ask whether an access token is live, and whose it is.
pub const INTROSPECT: &str = "/oidc/introspect";
pub const USERINFO: &str = "/oidc/userinfo";
pub const JWKS: &str = "/oidc/jwks";
pub const END_SESSION: &str = "/oidc/logout";
/// Where the page that asks "sign out?" posts its answer (a same-origin form post).
pub const END_SESSION_CONFIRM: &str = "/oidc/logout/confirm";
