//! What an `Authorization` header carries: client credentials (Basic) and bearer tokens.

use axum::http::{header, HeaderMap};
use base64::{engine::general_purpose::STANDARD, Engine};

/// The credentials of an `Authorization` header with `scheme` (compared without regard to case,
/// RFC 9110 §11.1), trimmed.
pub(super) fn credentials_after<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| credentials.trim())
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded).
pub(super) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = credentials_after(headers, "Basic")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}
