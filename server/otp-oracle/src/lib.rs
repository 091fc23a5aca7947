//! An independent one-time-password oracle, written from RFC 4226 (HOTP) and RFC 6238 (TOTP),
//! sharing no code with the app (not even totp-rs): the integration tests and the benchmark
//! compute their codes here, so they check the server rather than echo it.

use hmac::{Hmac, Mac};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
    Sha512,
}

/// The key of an RFC 4648 base32 text without padding (as the app shows a setup key).
pub fn key(secret_base32: &str) -> Option<Vec<u8>> {
    base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32)
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], counter: u64) -> Option<Vec<u8>> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
    mac.update(&counter.to_be_bytes());
    Some(mac.finalize().into_bytes().to_vec())
}

/// RFC 4226 §5.3: HMAC of the counter, dynamic truncation, `digits` decimal digits (leading
/// zeros kept).
pub fn hotp(key: &[u8], counter: u64, digits: u32, hash: Hash) -> Option<String> {
    let digest = match hash {
        Hash::Sha1 => mac::<Hmac<sha1::Sha1>>(key, counter)?,
        Hash::Sha256 => mac::<Hmac<sha2::Sha256>>(key, counter)?,
        Hash::Sha512 => mac::<Hmac<sha2::Sha512>>(key, counter)?,
    };
    let offset = usize::from(digest.last()? & 0x0f);
    let bytes: [u8; 4] = digest.get(offset..offset + 4)?.try_into().ok()?;
    let binary = u32::from_be_bytes(bytes) & 0x7fff_ffff;
    Some(format!("{:0width$}", binary % 10u32.checked_pow(digits)?, width = digits as usize))
}

/// RFC 6238 with the defaults every app supports (SHA1, 6 digits, 30 s), at `unix_time`.
pub fn totp(secret_base32: &str, unix_time: i64) -> Option<String> {
    let step = u64::try_from(unix_time).ok()? / 30;
    hotp(&key(secret_base32)?, step, 6, Hash::Sha1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_appendix_b() {
        let seed = |n: usize| b"1234567890".iter().cycle().take(n).copied().collect::<Vec<u8>>();
        for (time, sha1, sha256, sha512) in [
            (59u64, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1234567890, "89005924", "91819424", "93441116"),
            (20000000000, "65353130", "77737706", "47863826"),
        ] {
            assert_eq!(hotp(&seed(20), time / 30, 8, Hash::Sha1).unwrap(), sha1);
            assert_eq!(hotp(&seed(32), time / 30, 8, Hash::Sha256).unwrap(), sha256);
            assert_eq!(hotp(&seed(64), time / 30, 8, Hash::Sha512).unwrap(), sha512);
        }
        // The SHA1 seed in base32; the leading zero of 081804 stays.
        assert_eq!(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1111111109).unwrap(), "081804");
    }

    #[test]
    fn rfc_4226_appendix_d() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64, 6, Hash::Sha1).unwrap(), *code);
        }
    }
}
