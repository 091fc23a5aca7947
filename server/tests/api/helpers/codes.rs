//! One-time codes from the independent oracle (`otp-oracle`, written from the RFCs), never from
//! the app's own code — computed at the server's (manual) clock.

use super::app::TestApp;
use otp_oracle::Hash;

impl TestApp {
    /// The TOTP code (SHA1, 6 digits, 30 s) of the server's current time-step shifted by
    /// `step_offset`: -1 is the previous code, +1 the next.
    pub fn code(&self, secret_base32: &str, step_offset: i64) -> String {
        otp_oracle::totp(secret_base32, self.clock.now() + 30 * step_offset).expect("a base32 key")
    }
}

/// The TOTP code at the real time (for servers in other processes, on the system clock).
pub fn code_now(secret_base32: &str, step_offset: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    otp_oracle::totp(secret_base32, now as i64 + 30 * step_offset).expect("a base32 key")
}

/// RFC 4226 HOTP for any counter, digits and hash (SHA1 or SHA256).
pub fn hotp_code(secret_base32: &str, counter: u64, digits: u32, sha256: bool) -> String {
    let key = otp_oracle::key(secret_base32).expect("a base32 key");
    otp_oracle::hotp(&key, counter, digits, if sha256 { Hash::Sha256 } else { Hash::Sha1 }).expect("a code")
}

/// The setup key as the setup page shows it (groups of four), without the spaces.
pub fn setup_key_from_page(html: &str) -> String {
    let after_id = html.split("id=\"setup-key\"").nth(1).expect("the setup key element");
    let text = after_id.split_once('>').map(|(_, rest)| rest).unwrap_or("");
    text.split('<').next().unwrap_or("").split_whitespace().collect()
}
