//! TOTP keys at rest: AES-256-GCM (RustCrypto `aes-gcm`) with a random 96-bit nonce per
//! encryption and the account id bound as associated data, so a ciphertext copied onto another
//! account does not decrypt. A stolen database file alone reveals no key.
//!
//! Stored form: `version (1 byte) ‖ nonce (12 bytes) ‖ ciphertext+tag`.

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Key, Nonce,
};
use rand::{rngs::OsRng, RngCore};

const VERSION: u8 = 1;
const NONCE_BYTES: usize = 12;
pub const KEY_BYTES: usize = 32;

/// The encryption key, kept out of `Debug` output and never serialised.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the data could not be encrypted (it is far too long)")]
pub struct SealError;

#[derive(Debug, thiserror::Error)]
#[error("the data could not be decrypted with this key (wrong key, or the data was altered)")]
pub struct DecryptError;

impl SecretBox {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)) }
    }

    /// A fresh random key from the OS CSPRNG.
    pub fn generate_key() -> [u8; KEY_BYTES] {
        let mut key = [0u8; KEY_BYTES];
        OsRng.fill_bytes(&mut key);
        key
    }

    /// Encrypts `plaintext` bound to `context`. AES-GCM refuses only messages of 64 GiB and
    /// more; what is sealed here is a few dozen bytes.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| SealError)?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < 1 + NONCE_BYTES || sealed[0] != VERSION {
            return Err(DecryptError);
        }
        let (nonce, ciphertext) = sealed[1..].split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| DecryptError)
    }
}

/// Bytes as lower-case hex (tokens, digests, sealed cookie values). `base16ct` encodes in
/// constant time (no table lookup indexed by a secret byte), in one pass with no formatting per
/// byte: hex runs on every bearer-token request.
pub fn to_hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// Hex (either case) back to bytes; `None` for anything that is not an even run of hex digits.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    base16ct::mixed::decode_vec(text).ok()
}

/// SHA-256 of `bytes`, in hex: what is stored in place of a bearer token.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    to_hex(&Sha256::digest(bytes))
}

/// `bytes` random bytes from the OS CSPRNG, in hex: tokens that only need to be unguessable.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    to_hex(&buffer)
}

/// The associated data that ties a one-time-password key to its account (its text predates HOTP:
/// keys sealed with it must keep opening).
pub fn otp_secret_context(account_id: i64) -> String {
    format!("totp-secret:account:{account_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_both_ways_and_refuses_what_is_not_hex() {
        // FIPS 180-2's "abc" vector: the digest stored in place of a token.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(from_hex("000fa0ff"), Some(vec![0x00, 0x0f, 0xa0, 0xff]));
        assert_eq!(from_hex("000FA0FF"), Some(vec![0x00, 0x0f, 0xa0, 0xff]));
        assert_eq!(from_hex(""), Some(vec![]));
        for not_hex in ["0", "abc", "0g", "zz", "0x12", " 12", "é1"] {
            assert_eq!(from_hex(not_hex), None, "{not_hex:?}");
        }
    }

    #[test]
    fn a_sealed_secret_opens_with_the_same_key_and_account() {
        let sb = SecretBox::new(&SecretBox::generate_key());
        let sealed = sb.seal(b"twenty bytes secret!", &otp_secret_context(7)).unwrap();
        assert_eq!(sb.open(&sealed, &otp_secret_context(7)).unwrap(), b"twenty bytes secret!");
    }

    #[test]
    fn the_sealed_form_does_not_contain_the_plaintext_and_is_randomised() {
        let sb = SecretBox::new(&SecretBox::generate_key());
        let a = sb.seal(b"twenty bytes secret!", &otp_secret_context(7)).unwrap();
        let b = sb.seal(b"twenty bytes secret!", &otp_secret_context(7)).unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(20).any(|w| w == b"twenty bytes secret!"));
    }

    #[test]
    fn another_account_or_another_key_cannot_open_it() {
        let sb = SecretBox::new(&SecretBox::generate_key());
        let sealed = sb.seal(b"secret", &otp_secret_context(7)).unwrap();
        assert!(sb.open(&sealed, &otp_secret_context(8)).is_err(), "bound to the account id");
        let other = SecretBox::new(&SecretBox::generate_key());
        assert!(other.open(&sealed, &otp_secret_context(7)).is_err(), "bound to the key");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(sb.open(&tampered, &otp_secret_context(7)).is_err(), "authenticated");
    }
}
