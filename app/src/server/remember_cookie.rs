//! The cookie that carries a remembered device's token (`domain::credentials::remembered_device`):
//! `REMEMBER_DEVICE_DAYS` days, HTTP-only, and `__Host-` prefixed over https. It is worth
//! nothing without the account's password, and nothing once its record is forgotten.

/// The cookie's name: `__Host-remember` over https (host-only, `Secure`, whole site).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-remember"
    } else {
        "remember"
    }
}

/// The `Set-Cookie` value that hands the token to the browser for `max_age_seconds`.
pub fn set_cookie(token: &str, max_age_seconds: i64, secure: bool) -> String {
    super::site_cookie::set_cookie(cookie_name(secure), token, max_age_seconds, secure)
}

/// The token in a `Cookie` header, if the request carries one.
pub fn presented<'a>(cookie_headers: impl Iterator<Item = &'a str>, secure: bool) -> Option<String> {
    super::site_cookie::presented(cookie_headers, cookie_name(secure))
}

/// Hands the browser a device just remembered (`flows::remembered_devices::remember`).
pub fn hand_over(device: &domain::flows::remembered_devices::NewDevice, secure: bool) {
    let cookie = set_cookie(&device.cookie_value, device.max_age_seconds, secure);
    if let Ok(cookie) = http::HeaderValue::from_str(&cookie) {
        crate::server::response_options::append_header(http::header::SET_COOKIE, cookie);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_under_its_own_name() {
        let headers = ["a=1; device=abc; remember=xyz; b=2"];
        assert_eq!(presented(headers.into_iter(), false), Some("xyz".into()));
        assert_eq!(presented(["device=abc"].into_iter(), false), None);
        assert_eq!(presented(["__Host-remember=q"].into_iter(), true), Some("q".into()));
        assert!(set_cookie("t", 60, true).starts_with("__Host-remember=t; Path=/; Max-Age=60; HttpOnly"));
    }
}
