//! The benchmark users' codes, from the independent oracle (`otp-oracle`), never the app's own
//! implementation: the benchmark's codes check the server rather than echo it.

use otp_oracle::Hash;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn current_step() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 30).unwrap_or(0)
}

pub fn code(secret_base32: &str, step: u64) -> anyhow::Result<String> {
    let key = otp_oracle::key(secret_base32).ok_or_else(|| anyhow::anyhow!("the setup key is not base32"))?;
    otp_oracle::hotp(&key, step, 6, Hash::Sha1).ok_or_else(|| anyhow::anyhow!("no code for step {step}"))
}
