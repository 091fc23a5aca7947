//! Recovery codes: ten single-use codes that replace the phone when it is lost.
//!
//! Each code is 10 characters from a 32-letter alphabet (50 bits from the OS CSPRNG), shown as
//! `xxxxx-xxxxx`. Input is case-insensitive and dashes or spaces are optional. Only a salted
//! SHA-256 of each code is stored: a 50-bit random code needs no slow hash to resist guessing
//! online, and the per-code salt keeps precomputed tables useless.

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

/// What is stored for one code: a random salt and SHA-256(salt ‖ code).
pub struct StoredCode {
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

pub fn seal(display_code: &str) -> StoredCode {
    let canonical = normalize(display_code).unwrap_or_default();
    let mut salt = vec![0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let hash = digest(&salt, &canonical);
    StoredCode { salt, hash }
}

/// Whether a canonical code matches a stored one (constant-time comparison).
pub fn matches(canonical: &str, stored: &StoredCode) -> bool {
    bool::from(digest(&stored.salt, canonical).ct_eq(&stored.hash))
}

fn digest(salt: &[u8], canonical: &str) -> Vec<u8> {
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

    #[test]
    fn input_is_case_insensitive_and_dashes_are_optional() {
        let code = "ab3de-fg7hj";
        let stored = seal(code);
        for typed in ["ab3de-fg7hj", "AB3DE-FG7HJ", "ab3defg7hj", " ab3de fg7hj "] {
            assert!(matches(&normalize(typed).unwrap(), &stored), "{typed}");
        }
        assert!(!matches(&normalize("ab3de-fg7hk").unwrap(), &stored));
    }

    #[test]
    fn only_a_salted_hash_is_kept() {
        let a = seal("ab3de-fg7hj");
        let b = seal("ab3de-fg7hj");
        assert_ne!(a.hash, b.hash, "same code, different salt, different hash");
        assert!(!a.hash.windows(10).any(|w| w == b"ab3defg7hj"));
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
