//! RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps) written here from the RFC, independent of the
//! app's own implementation, so the benchmark's codes check the server rather than echo it.

use hmac::{Hmac, Mac};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn current_step() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 30).unwrap_or(0)
}

pub fn code(secret_base32: &str, step: u64) -> anyhow::Result<String> {
    let key = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32)
        .ok_or_else(|| anyhow::anyhow!("the setup key is not base32"))?;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key)?;
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    Ok(format!("{:06}", binary % 1_000_000))
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_rfc_6238_appendix_b() {
        // The SHA1 seed "12345678901234567890" in base32; T = 59 s is step 1: 94287082 → 287082.
        assert_eq!(super::code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1).unwrap(), "287082");
        // T = 1111111109 → 07081804: the leading zero stays.
        assert_eq!(super::code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1111111109 / 30).unwrap(), "081804");
    }
}
