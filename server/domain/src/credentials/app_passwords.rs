//! App passwords: secrets for scripts and mobile apps, which the forward-auth gate accepts as
//! HTTP Basic (`username:secret`) or Bearer on rules with `app_passwords = true`
//! (`docs/contract/forward-auth.md`).
//!
//! A secret is `ap_` and 32 characters of Crockford's base32 (160 bits from the OS CSPRNG). Its
//! first 8 characters after `ap_` are its `lookup`, kept in clear to find its row; the row keeps
//! HMAC-SHA256 of the whole secret under a key derived from the server's encryption key (the
//! recovery codes' key, with a label of its own), never the secret. 160 random bits need no
//! slow hash: a keyed SHA-256 makes the check cheap enough for every request the gate answers,
//! and a copy of the table without the key gives nothing to test a guess against. The stored
//! and the presented hash are compared in constant time.

use super::recovery_codes::RecoveryCodeKey;
use base64::Engine;
use rand::{rngs::OsRng, Rng};
use subtle::ConstantTimeEq;

/// Crockford's base32 letters, lower case (as recovery codes).
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const PREFIX: &str = "ap_";
const RANDOM_LENGTH: usize = 32;
const LOOKUP_LENGTH: usize = 8;
/// Keeps the hash of an app password apart from every other use of the key.
const LABEL: &[u8] = b"totp-signin app-password hash v1\0";

/// A new secret, shown once, and its lookup.
pub struct NewAppPassword {
    pub secret: String,
    pub lookup: String,
    pub hash: String,
}

/// A fresh secret, with what is stored of it.
pub fn generate(key: &RecoveryCodeKey) -> NewAppPassword {
    let random: String = (0..RANDOM_LENGTH).map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char).collect();
    let secret = format!("{PREFIX}{random}");
    NewAppPassword { lookup: random[..LOOKUP_LENGTH].to_owned(), hash: hash(key, &secret), secret }
}

/// The lookup of what may be an app password (`None`: it cannot be one, whatever is stored).
pub fn lookup(secret: &str) -> Option<&str> {
    let random = secret.strip_prefix(PREFIX)?;
    (random.len() == RANDOM_LENGTH && random.bytes().all(|b| ALPHABET.contains(&b))).then(|| &random[..LOOKUP_LENGTH])
}

/// What is stored of `secret`: the hex of its keyed hash.
pub fn hash(key: &RecoveryCodeKey, secret: &str) -> String {
    super::secret_box::to_hex(&key.tag(LABEL, secret.as_bytes()))
}

/// Whether `secret` is the one whose stored hash is `stored` (constant-time comparison).
pub fn matches(key: &RecoveryCodeKey, secret: &str, stored: &str) -> bool {
    bool::from(hash(key, secret).as_bytes().ct_eq(stored.as_bytes()))
}

/// An app password as a request presents it.
#[derive(PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Basic base64(username:secret)`.
    Basic { username: String, secret: String },
    /// `Authorization: Bearer secret`.
    Bearer { secret: String },
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::Basic { username, .. } => write!(f, "Basic({username}, ..)"),
            Presented::Bearer { .. } => f.write_str("Bearer(..)"),
        }
    }
}

impl Presented {
    /// The app password an `Authorization` header carries, if it can be one (a Basic password
    /// or a Bearer token of the app passwords' form); anything else is no app password.
    pub fn from_authorization(value: &[u8]) -> Option<Presented> {
        let value = std::str::from_utf8(value).ok()?.trim();
        let (scheme, rest) = value.split_once(' ')?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            lookup(rest)?;
            return Some(Presented::Bearer { secret: rest.to_owned() });
        }
        if !scheme.eq_ignore_ascii_case("basic") || rest.len() > 512 {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (username, secret) = decoded.split_once(':')?;
        lookup(secret)?;
        Some(Presented::Basic { username: username.to_owned(), secret: secret.to_owned() })
    }

    pub fn secret(&self) -> &str {
        match self {
            Presented::Basic { secret, .. } | Presented::Bearer { secret } => secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::secret_box::KEY_BYTES;

    fn key(byte: u8) -> RecoveryCodeKey {
        RecoveryCodeKey::derive(&[byte; KEY_BYTES]).unwrap()
    }

    #[test]
    fn the_stored_form_is_not_the_secret_and_needs_the_key() {
        let new = generate(&key(1));
        assert!(!new.hash.contains(&new.secret[3..]));
        assert_eq!(new.hash.len(), 64);
        assert!(matches(&key(1), &new.secret, &new.hash));
        assert!(!matches(&key(2), &new.secret, &new.hash), "another key gives another hash");
        assert_ne!(hash(&key(1), &new.secret), super::super::secret_box::to_hex(new.secret.as_bytes()));
    }

    #[test]
    fn a_secret_is_found_by_its_lookup_and_only_its_own_form_is_one() {
        let new = generate(&key(1));
        assert_eq!(lookup(&new.secret), Some(new.lookup.as_str()));
        assert_eq!(new.secret.len(), 35);
        assert_eq!(lookup("ap_short"), None);
        assert_eq!(lookup(&new.secret.to_uppercase()), None);
        assert_eq!(lookup(&new.secret[3..]), None);
    }

    #[test]
    fn basic_and_bearer_headers_are_read_and_others_are_not() {
        let secret = generate(&key(1)).secret;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{secret}"));
        assert_eq!(
            Presented::from_authorization(format!("Basic {basic}").as_bytes()),
            Some(Presented::Basic { username: "alice".into(), secret: secret.clone() })
        );
        assert_eq!(
            Presented::from_authorization(format!("bearer {secret}").as_bytes()),
            Some(Presented::Bearer { secret: secret.clone() })
        );
        let password = base64::engine::general_purpose::STANDARD.encode("alice:hunter22");
        assert_eq!(Presented::from_authorization(format!("Basic {password}").as_bytes()), None);
        assert_eq!(Presented::from_authorization(b"Bearer eyJhbGciOi.x.y"), None);
        assert_eq!(Presented::from_authorization(format!("Digest {secret}").as_bytes()), None);
    }
}
