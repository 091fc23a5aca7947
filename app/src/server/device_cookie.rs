//! Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a browser
//! that has given an account's right password before carries a token, sealed with the server's
//! key, naming that account and a random device id. Password attempts that show a valid token
//! for the username typed are counted on that device alone (`throttle::device_key`), so someone
//! hammering a username from elsewhere does not delay its owner on their own device; a browser
//! without one still meets the username's delay.
//!
//! The token proves nothing about the password and grants nothing: it only chooses which count
//! an attempt goes on. It is sealed (AES-256-GCM, `SecretBox`), so it cannot be forged or moved
//! to another username.

use crate::server::{
    secret_box::{from_hex, random_hex, to_hex, SecretBox},
    throttle::username_key,
};

const CONTEXT: &str = "device-cookie";
/// A device stays known for half a year after its last right password.
pub const MAX_AGE_SECONDS: i64 = 180 * 24 * 60 * 60;

/// The cookie's name: `__Host-device` over https (host-only, `Secure`, whole site).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-device"
    } else {
        "device"
    }
}

/// The device id a presented token names, when it is genuine and was made for this username
/// (in its `throttle::username_key` form).
pub fn device_for(secret_box: &SecretBox, token: &str, username_key: &str) -> Option<String> {
    if token.len() > 512 {
        return None;
    }
    let sealed = from_hex(token)?;
    let plain = secret_box.open(&sealed, CONTEXT).ok()?;
    let plain = String::from_utf8(plain).ok()?;
    let (device, name) = plain.split_once('\n')?;
    (name == username_key).then(|| device.to_owned())
}

/// A token for this username: the same device id when the browser already had one for it, or a
/// new one.
pub fn token_for(secret_box: &SecretBox, username_key: &str, known_device: Option<&str>) -> String {
    let device = known_device.map(str::to_owned).unwrap_or_else(|| random_hex(16));
    to_hex(&secret_box.seal(format!("{device}\n{username_key}").as_bytes(), CONTEXT))
}

/// The known device a password attempt for `username` comes from: the one its browser's token
/// names, when the token is genuine and made for that username.
pub fn known_device(secret_box: &SecretBox, token: Option<&str>, username: &str) -> Option<String> {
    device_for(secret_box, token?, &username_key(username))
}

/// The `Set-Cookie` value that hands the token to the browser.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure_attribute = if secure { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax{secure_attribute}",
        cookie_name(secure)
    )
}

/// The token in a `Cookie` header, if the request carries one.
pub fn presented<'a>(cookie_headers: impl Iterator<Item = &'a str>, secure: bool) -> Option<String> {
    let prefix = format!("{}=", cookie_name(secure));
    cookie_headers
        .flat_map(|header| header.split(';'))
        .map(str::trim)
        .find_map(|pair| pair.strip_prefix(prefix.as_str()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_device_for_its_own_username_only() {
        let secret_box = SecretBox::new(&[3; 32]);
        let token = token_for(&secret_box, "user:alice", None);
        let device = device_for(&secret_box, &token, "user:alice").expect("genuine");
        assert_eq!(device.len(), 32);
        assert_eq!(device_for(&secret_box, &token, "user:bob"), None, "not moved to another username");
        assert_eq!(device_for(&SecretBox::new(&[4; 32]), &token, "user:alice"), None, "not made by another key");
        assert_eq!(device_for(&secret_box, "00ff", "user:alice"), None, "not forged");
        let again = token_for(&secret_box, "user:alice", Some(&device));
        assert_eq!(device_for(&secret_box, &again, "user:alice"), Some(device), "the same device keeps its id");
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let headers = ["a=1; device=abc; b=2"];
        assert_eq!(presented(headers.into_iter(), false), Some("abc".into()));
        assert_eq!(presented(headers.into_iter(), true), None);
        assert_eq!(presented(["__Host-device=xyz"].into_iter(), true), Some("xyz".into()));
    }
}
