//! The token of a remembered device: after a full sign-in with two factors, a browser whose
//! owner ticked "Don't ask again on this device" carries a cookie that lets the password alone
//! complete that account's sign-in there (`Factors::PasswordOnRememberedDevice`).
//!
//! The cookie's value is sealed with the server's key (AES-256-GCM, `SecretBox`, like the
//! device cookie): it names the account and holds a random 256-bit secret. It cannot be forged,
//! nor moved to another account. The database keeps only the SHA-256 of the secret
//! (`RememberedToken::hash`), so the record that makes the token count can be forgotten at any
//! time, and a copy of the table opens nothing.
//!
//! The token is never enough alone: it only stands in for the second factor after the
//! account's right password, in the same request.

use super::secret_box::{from_hex, random_hex, sha256_hex, to_hex, SealError, SecretBox};

const CONTEXT: &str = "remembered-device";
/// Seconds in a day, for `REMEMBER_DEVICE_DAYS`.
pub const DAY_SECONDS: i64 = 24 * 60 * 60;

/// A token just made: the cookie's value for the browser, and what the database keeps of it.
/// Not `Debug`, not `Serialize`: the cookie value is a secret.
pub struct RememberedToken {
    /// The sealed value for the cookie (hex).
    pub cookie_value: String,
    /// SHA-256 of the secret, in hex: what the database keeps.
    pub hash: String,
}

/// A new token for `account_id`.
pub fn issue(secret_box: &SecretBox, account_id: i64) -> Result<RememberedToken, SealError> {
    let secret = random_hex(32);
    let sealed = secret_box.seal(format!("{account_id}\n{secret}").as_bytes(), CONTEXT)?;
    Ok(RememberedToken { cookie_value: to_hex(&sealed), hash: hash_of(&secret) })
}

/// The hash a presented cookie value stands for, when it is genuine and was made for
/// `account_id`; `None` for anything else (forged, of another account, malformed, too long).
pub fn presented_hash(secret_box: &SecretBox, cookie_value: &str, account_id: i64) -> Option<String> {
    if cookie_value.len() > 512 {
        return None;
    }
    let plain = secret_box.open(&from_hex(cookie_value)?, CONTEXT).ok()?;
    let plain = String::from_utf8(plain).ok()?;
    let (account, secret) = plain.split_once('\n')?;
    (account.parse::<i64>().ok()? == account_id).then(|| hash_of(secret))
}

/// What "Forget" names a device by: 128 bits of a SHA-256 of its hash. One-way, so the page
/// shows nothing that could be turned back into the stored hash, let alone the token.
pub fn handle_of(hash: &str) -> String {
    let mut handle = sha256_hex(format!("remembered device handle\n{hash}").as_bytes());
    handle.truncate(32);
    handle
}

/// When a device remembered at `now` for `days` days stops counting.
pub fn expires_at(now: i64, days: u32) -> i64 {
    now.saturating_add(i64::from(days).saturating_mul(DAY_SECONDS))
}

fn hash_of(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_stands_for_its_hash_for_its_own_account_only() {
        let secret_box = SecretBox::new(&[5; 32]);
        let token = issue(&secret_box, 42).unwrap();
        assert_eq!(presented_hash(&secret_box, &token.cookie_value, 42).as_deref(), Some(token.hash.as_str()));
        assert_eq!(presented_hash(&secret_box, &token.cookie_value, 43), None, "not moved to another account");
        assert_eq!(presented_hash(&SecretBox::new(&[6; 32]), &token.cookie_value, 42), None, "not another key's");
        assert_eq!(presented_hash(&secret_box, "00ff", 42), None, "not forged");
        assert_eq!(presented_hash(&secret_box, &"a".repeat(600), 42), None, "not overlong");
    }

    #[test]
    fn the_stored_hash_is_not_in_the_cookie_and_two_tokens_differ() {
        let secret_box = SecretBox::new(&[5; 32]);
        let (a, b) = (issue(&secret_box, 1).unwrap(), issue(&secret_box, 1).unwrap());
        assert_ne!(a.hash, b.hash);
        assert!(!a.cookie_value.contains(&a.hash));
        assert_ne!(handle_of(&a.hash), handle_of(&b.hash));
        assert_eq!(handle_of(&a.hash).len(), 32);
    }

    #[test]
    fn a_device_remembered_for_thirty_days_expires_thirty_days_later() {
        assert_eq!(expires_at(1_000, 30), 1_000 + 30 * 86_400);
        assert_eq!(expires_at(i64::MAX - 5, 30), i64::MAX);
    }
}
