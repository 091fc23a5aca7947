//! The one-time-password parameters of a credential, and the policy new enrollments get.
//!
//! Google Authenticator and several other apps ignore anything but TOTP/SHA1/6 digits/30 s, so
//! that is the default; an operator may choose otherwise (`OTP_*` settings). Each enrollment
//! keeps the parameters it was made with, whatever the policy says later.

pub use totp_rs::Algorithm;

/// Digits of a code unless the policy says otherwise: what every authenticator app supports.
pub const DEFAULT_DIGITS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    /// RFC 6238: the code of the current time-step.
    Totp,
    /// RFC 4226: the code of the next counter value.
    Hotp,
}

/// The parameters stored with a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpParams {
    pub kind: OtpKind,
    pub algorithm: Algorithm,
    pub digits: usize,
    /// Seconds per TOTP step (30 or 60); unused for HOTP.
    pub period: u64,
    /// Steps accepted before and after the current one (TOTP: 0 or 1); for HOTP the look-ahead
    /// window (how many counter values past the expected one are tried).
    pub window: u64,
}

impl Default for OtpParams {
    fn default() -> Self {
        Self { kind: OtpKind::Totp, algorithm: Algorithm::SHA1, digits: DEFAULT_DIGITS, period: 30, window: 1 }
    }
}

impl OtpParams {
    /// What Google Authenticator and most apps support.
    pub fn is_widely_supported(&self) -> bool {
        *self == Self::default()
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            OtpKind::Totp => "totp",
            OtpKind::Hotp => "hotp",
        }
    }

    pub fn algorithm_name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::SHA1 => "SHA1",
            Algorithm::SHA256 => "SHA256",
            Algorithm::SHA512 => "SHA512",
        }
    }

    /// What to choose in apps that ask: "time-based, SHA256, 8 digits, every 60 seconds".
    pub fn describe(&self) -> String {
        match self.kind {
            OtpKind::Totp => {
                format!("time-based, {}, {} digits, every {} seconds", self.algorithm_name(), self.digits, self.period)
            }
            OtpKind::Hotp => format!("counter-based, {}, {} digits", self.algorithm_name(), self.digits),
        }
    }

    /// Reads the columns stored with a credential (unknown values fall back to the default, so
    /// a row can always be read).
    pub fn from_columns(kind: &str, algorithm: &str, digits: i64, period: i64, window: i64) -> Self {
        let default = Self::default();
        Self {
            kind: if kind == "hotp" { OtpKind::Hotp } else { OtpKind::Totp },
            algorithm: parse_algorithm(algorithm).unwrap_or(default.algorithm),
            digits: if digits == 8 { 8 } else { DEFAULT_DIGITS },
            period: if period == 60 { 60 } else { 30 },
            window: u64::try_from(window).unwrap_or(default.window).min(100),
        }
    }
}

pub fn parse_algorithm(text: &str) -> Option<Algorithm> {
    match text.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA1" => Some(Algorithm::SHA1),
        "SHA256" => Some(Algorithm::SHA256),
        "SHA512" => Some(Algorithm::SHA512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_what_google_authenticator_supports() {
        assert!(OtpParams::default().is_widely_supported());
        let other = OtpParams { digits: 8, ..OtpParams::default() };
        assert!(!other.is_widely_supported());
    }

    #[test]
    fn stored_columns_are_read_back_and_unknown_values_fall_back() {
        let p = OtpParams::from_columns("hotp", "sha-256", 8, 60, 10);
        assert_eq!((p.kind, p.algorithm, p.digits, p.period, p.window), (OtpKind::Hotp, Algorithm::SHA256, 8, 60, 10));
        assert_eq!(OtpParams::from_columns("?", "MD5", 7, 45, -1), OtpParams::default());
    }
}
