//! A long-lived cookie of the whole site (the device cookie, the remembered device's): HTTP-only,
//! `SameSite=Lax`, and, over https, `Secure` under a `__Host-` name (host-only, path `/`).

/// The `Set-Cookie` value handing `token` to the browser under `name` for `max_age_seconds`.
pub fn set_cookie(name: &str, token: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure_attribute = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax{secure_attribute}")
}

/// The value of the cookie `name` in the request's `Cookie` headers, if it carries one.
pub fn presented<'a>(cookie_headers: impl Iterator<Item = &'a str>, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    cookie_headers
        .flat_map(|header| header.split(';'))
        .map(str::trim)
        .find_map(|pair| pair.strip_prefix(prefix.as_str()))
        .map(str::to_owned)
}
