//! Recovery codes: ten single-use codes that replace the phone when it is lost.
//!
//! Each code is 10 characters from a 32-letter alphabet (50 bits from the OS CSPRNG), shown as
//! `xxxxx-xxxxx`. Input is case-insensitive and dashes or spaces are optional.
//!
//! Stored form: a random salt and HMAC-SHA256(k, SHA-256(salt ‖ code)), where k is derived from
//! the key that seals the TOTP secrets (`RecoveryCodeKey`). 50 bits are few enough to try them
//! all against a plain hash; a copy of the database without k gives nothing to test a guess
//! against. The inner salted SHA-256 is how codes were stored before: a row in that form becomes
//! the keyed form by hashing what it holds (`wrap_unkeyed`), without knowing the code.

use super::secret_box::KEY_BYTES;
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const CODES_PER_SET: usize = 10;
const CODE_LENGTH: usize = 10;
/// Crockford's base32 letters: no i, l, o or u, so nothing is misread aloud.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const SALT_BYTES: usize = 16;

/// A fresh set of codes, formatted for display. Never stored as they are.
pub fn generate_set() -> Vec<String> {
    (0..CODES_PER_SET)
        .map(|_| {
            let raw: String = (0..CODE_LENGTH).map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char).collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect()
}

/// The canonical form of a typed code, or `None` when it cannot be a recovery code.
pub fn normalize(input: &str) -> Option<String> {
    if input.len() > 64 {
        return None;
    }
    let code: String =
        input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    (code.len() == CODE_LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// Longer than any recovery code, even once spaces and dashes are set aside: such input is a
/// mistake to point out (400), not a guess to count.
pub fn too_long(input: &str) -> bool {
    input.len() > crate::input::MAX_CODE_FIELD
        || input.chars().filter(|c| !c.is_whitespace() && *c != '-').count() > CODE_LENGTH
}

/// What the subkey is derived with: HMAC-SHA256(TOTP encryption key, this label). The label
/// keeps it apart from every other use of that key.
const KEY_LABEL: &[u8] = b"totp-signin recovery-code hash key v1";

/// The key recovery codes are hashed under: derived from the TOTP encryption key, used for
/// nothing else. Kept out of `Debug` output and never serialised.
#[derive(Clone)]
pub struct RecoveryCodeKey {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for RecoveryCodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCodeKey(..)")
    }
}

/// HMAC takes a key of any length: this error cannot happen, and is reported rather than assumed.
#[derive(Debug, thiserror::Error)]
#[error("the recovery-code key could not be derived")]
pub struct KeyError;

impl RecoveryCodeKey {
    pub fn derive(encryption_key: &[u8; KEY_BYTES]) -> Result<Self, KeyError> {
        let mut derive = Hmac::<Sha256>::new_from_slice(encryption_key).map_err(|_| KeyError)?;
        derive.update(KEY_LABEL);
        let subkey = derive.finalize().into_bytes();
        Ok(Self { mac: Hmac::<Sha256>::new_from_slice(&subkey).map_err(|_| KeyError)? })
    }

    fn hash(&self, unkeyed: &[u8]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(unkeyed);
        mac.finalize().into_bytes().to_vec()
    }

    /// HMAC-SHA256 under this key of `label` then `message`, for another secret kept as a keyed
    /// hash (app passwords). A recovery code's message is always a 32-byte digest; a label
    /// longer than that keeps the two uses apart.
    pub(crate) fn tag(&self, label: &[u8], message: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(label);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// What is stored for one code: a random salt and HMAC-SHA256(k, SHA-256(salt ‖ code)).
pub struct StoredCode {
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

pub fn seal(key: &RecoveryCodeKey, display_code: &str) -> StoredCode {
    let canonical = normalize(display_code).unwrap_or_default();
    let mut salt = vec![0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let hash = key.hash(&unkeyed_digest(&salt, &canonical));
    StoredCode { salt, hash }
}

/// The stored forms of a set of codes.
pub fn seal_set(key: &RecoveryCodeKey, display_codes: &[String]) -> Vec<StoredCode> {
    display_codes.iter().map(|code| seal(key, code)).collect()
}

/// Whether a canonical code matches a stored one (constant-time comparison).
pub fn matches(key: &RecoveryCodeKey, canonical: &str, stored: &StoredCode) -> bool {
    bool::from(key.hash(&unkeyed_digest(&stored.salt, canonical)).ct_eq(&stored.hash))
}

/// The keyed form of a code stored as SHA-256(salt ‖ code) alone: what `seal` would have stored
/// with the same salt.
pub fn wrap_unkeyed(key: &RecoveryCodeKey, unkeyed_hash: &[u8]) -> Vec<u8> {
    key.hash(unkeyed_hash)
}

/// SHA-256(salt ‖ code): the inner hash.
fn unkeyed_digest(salt: &[u8], canonical: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(canonical.as_bytes());
    hasher.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_has_ten_distinct_readable_codes() {
        let set = generate_set();
        assert_eq!(set.len(), 10);
        let mut unique = set.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for code in &set {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
        }
    }

    fn key(byte: u8) -> RecoveryCodeKey {
        RecoveryCodeKey::derive(&[byte; KEY_BYTES]).unwrap()
    }

    #[test]
    fn input_is_case_insensitive_and_dashes_are_optional() {
        let code = "ab3de-fg7hj";
        let stored = seal(&key(1), code);
        for typed in ["ab3de-fg7hj", "AB3DE-FG7HJ", "ab3defg7hj", " ab3de fg7hj "] {
            assert!(matches(&key(1), &normalize(typed).unwrap(), &stored), "{typed}");
        }
        assert!(!matches(&key(1), &normalize("ab3de-fg7hk").unwrap(), &stored));
    }

    #[test]
    fn only_a_salted_hash_is_kept() {
        let a = seal(&key(1), "ab3de-fg7hj");
        let b = seal(&key(1), "ab3de-fg7hj");
        assert_ne!(a.hash, b.hash, "same code, different salt, different hash");
        assert!(!a.hash.windows(10).any(|w| w == b"ab3defg7hj"));
    }

    #[test]
    fn the_stored_hash_is_not_one_a_copy_of_the_database_can_test_a_guess_against() {
        let stored = seal(&key(1), "ab3de-fg7hj");
        assert_ne!(stored.hash, unkeyed_digest(&stored.salt, "ab3defg7hj"), "not SHA-256(salt ‖ code)");
        let plain = Sha256::new().chain_update(&stored.salt).chain_update(b"ab3defg7hj").finalize().to_vec();
        assert_ne!(stored.hash, plain);
    }

    #[test]
    fn another_key_does_not_verify_a_code() {
        let stored = seal(&key(1), "ab3de-fg7hj");
        assert!(matches(&key(1), "ab3defg7hj", &stored));
        assert!(!matches(&key(2), "ab3defg7hj", &stored), "a different encryption key");
    }

    #[test]
    fn the_key_is_derived_from_the_encryption_key_and_is_not_that_key() {
        // HMAC-SHA256(k, label) as the key of the hash: computed here independently of `derive`.
        let master = [1u8; KEY_BYTES];
        let subkey = Hmac::<Sha256>::new_from_slice(&master).unwrap().chain_update(KEY_LABEL).finalize().into_bytes();
        let inner = unkeyed_digest(b"salt", "ab3defg7hj");
        let expected = Hmac::<Sha256>::new_from_slice(&subkey).unwrap().chain_update(&inner).finalize().into_bytes();
        assert_eq!(key(1).hash(&inner), expected.to_vec());
        let raw_key = Hmac::<Sha256>::new_from_slice(&master).unwrap().chain_update(&inner).finalize().into_bytes();
        assert_ne!(key(1).hash(&inner), raw_key.to_vec(), "the encryption key itself is not used");
    }

    #[test]
    fn a_code_stored_unkeyed_matches_once_wrapped() {
        let salt = b"sixteen byte salt".to_vec();
        let unkeyed = StoredCode { hash: unkeyed_digest(&salt, "ab3defg7hj"), salt };
        let wrapped = StoredCode { hash: wrap_unkeyed(&key(1), &unkeyed.hash), salt: unkeyed.salt.clone() };
        assert!(matches(&key(1), "ab3defg7hj", &wrapped));
        assert!(!matches(&key(1), "ab3defg7hk", &wrapped));
        assert!(!matches(&key(2), "ab3defg7hj", &wrapped));
        assert!(!matches(&key(1), "ab3defg7hj", &unkeyed), "the unkeyed form itself is not accepted");
    }

    #[test]
    fn only_input_longer_than_any_code_is_too_long() {
        assert!(!too_long(" ab3de - fg7hj "));
        assert!(!too_long("ab3de"));
        assert!(too_long("ab3de-fg7hj-k"));
        assert!(too_long(&" ".repeat(65)));
    }

    #[test]
    fn malformed_codes_are_not_codes() {
        for bad in ["", "abc", "ab3de-fg7hjk", "ab3de-fg7hi", "ab3de_fg7hj"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
