//! The cookie that carries a browser's device token (`domain::credentials::device_token`, OWASP's
//! device cookie): half a year, HTTP-only, and `__Host-` prefixed over https.

use domain::credentials::device_token::MAX_AGE_SECONDS;

/// The cookie's name: `__Host-device` over https (host-only, `Secure`, whole site).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-device"
    } else {
        "device"
    }
}

/// The `Set-Cookie` value that hands the token to the browser.
pub fn set_cookie(token: &str, secure: bool) -> String {
    super::site_cookie::set_cookie(cookie_name(secure), token, MAX_AGE_SECONDS, secure)
}

/// Hands the token to the browser with the response under way.
pub fn hand_out(token: &str, secure: bool) {
    if let Ok(cookie) = http::HeaderValue::from_str(&set_cookie(token, secure)) {
        super::response_options::append_header(http::header::SET_COOKIE, cookie);
    }
}

/// Makes the browser that just created `username` a known device of it (a later sign-in from it
/// is not "a new device").
pub fn hand_out_new(secret_box: &domain::credentials::secret_box::SecretBox, username: &str, secure: bool) {
    use domain::credentials::device_token;
    match device_token::token_for(secret_box, &device_token::username_key(username), None) {
        Ok(token) => hand_out(&token, secure),
        Err(_) => tracing::warn!("could not make a device token"),
    }
}

/// The token in a `Cookie` header, if the request carries one.
pub fn presented<'a>(cookie_headers: impl Iterator<Item = &'a str>, secure: bool) -> Option<String> {
    super::site_cookie::presented(cookie_headers, cookie_name(secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let headers = ["a=1; device=abc; b=2"];
        assert_eq!(presented(headers.into_iter(), false), Some("abc".into()));
        assert_eq!(presented(headers.into_iter(), true), None);
        assert_eq!(presented(["__Host-device=xyz"].into_iter(), true), Some("xyz".into()));
    }
}
