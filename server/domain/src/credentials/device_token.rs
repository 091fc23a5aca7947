//! Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a browser
//! that has given an account's right password before carries a token, sealed with the server's
//! key, naming that account and a random device id. Password attempts that show a valid token
//! for the username typed are counted on that device alone (`storage::throttle`), so someone
//! hammering a username from elsewhere does not delay its owner on their own device; a browser
//! without one still meets the username's delay.
//!
//! The token proves nothing about the password and grants nothing: it only chooses which count
//! an attempt goes on. It is sealed (AES-256-GCM, `SecretBox`), so it cannot be forged or moved
//! to another username.

use super::secret_box::{from_hex, random_hex, to_hex, SealError, SecretBox};

const CONTEXT: &str = "device-cookie";
/// A device stays known for half a year after its last right password.
pub const MAX_AGE_SECONDS: i64 = 180 * 24 * 60 * 60;

/// The device id a presented token names, when it is genuine and was made for this username
/// (in its `username_key` form).
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
pub fn token_for(secret_box: &SecretBox, username_key: &str, known_device: Option<&str>) -> Result<String, SealError> {
    let device = known_device.map(str::to_owned).unwrap_or_else(|| random_hex(16));
    Ok(to_hex(&secret_box.seal(format!("{device}\n{username_key}").as_bytes(), CONTEXT)?))
}

/// The known device a password attempt for `username` comes from: the one its browser's token
/// names, when the token is genuine and made for that username.
pub fn known_device(secret_box: &SecretBox, token: Option<&str>, username: &str) -> Option<String> {
    device_for(secret_box, token?, &username_key(username))
}

/// The form of a username that decides whose failures are whose: names differ only if they
/// differ without regard to case (what the throttle counts under, and what a token names).
pub fn username_key(username: &str) -> String {
    format!("user:{}", username.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_device_for_its_own_username_only() {
        let secret_box = SecretBox::new(&[3; 32]);
        let token = token_for(&secret_box, "user:alice", None).unwrap();
        let device = device_for(&secret_box, &token, "user:alice").expect("genuine");
        assert_eq!(device.len(), 32);
        assert_eq!(device_for(&secret_box, &token, "user:bob"), None, "not moved to another username");
        assert_eq!(device_for(&SecretBox::new(&[4; 32]), &token, "user:alice"), None, "not made by another key");
        assert_eq!(device_for(&secret_box, "00ff", "user:alice"), None, "not forged");
        let again = token_for(&secret_box, "user:alice", Some(&device)).unwrap();
        assert_eq!(device_for(&secret_box, &again, "user:alice"), Some(device), "the same device keeps its id");
    }
}
