//! The one-time-password parameters of a credential, and the policy new enrollments get.
//!
//! Google Authenticator and several other apps ignore anything but TOTP/SHA1/6 digits/30 s, so
//! that is the default; an operator may choose otherwise (`OTP_*` settings). Each enrollment
//! keeps the parameters it was made with, whatever the policy says later.

use totp_rs::Algorithm;

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
        Self { kind: OtpKind::Totp, algorithm: Algorithm::SHA1, digits: 6, period: 30, window: 1 }
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

    /// Reads the columns stored with a credential (unknown values fall back to the default, so
    /// a row can always be read).
    pub fn from_columns(kind: &str, algorithm: &str, digits: i64, period: i64, window: i64) -> Self {
        let default = Self::default();
        Self {
            kind: if kind == "hotp" { OtpKind::Hotp } else { OtpKind::Totp },
            algorithm: parse_algorithm(algorithm).unwrap_or(default.algorithm),
            digits: if digits == 8 { 8 } else { 6 },
            period: if period == 60 { 60 } else { 30 },
            window: u64::try_from(window).unwrap_or(default.window).min(100),
        }
    }
}

fn parse_algorithm(text: &str) -> Option<Algorithm> {
    match text.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA1" => Some(Algorithm::SHA1),
        "SHA256" => Some(Algorithm::SHA256),
        "SHA512" => Some(Algorithm::SHA512),
        _ => None,
    }
}

/// Reads the policy from settings given as text (the environment): `OTP_TYPE` totp|hotp,
/// `OTP_ALGORITHM` SHA1|SHA256|SHA512, `OTP_DIGITS` 6|8, `OTP_PERIOD` 30|60, `OTP_SKEW` 0|1,
/// `HOTP_WINDOW` 1..100 (default 10). A bad value is an error for the operator, said in a line.
pub fn policy_from(get: impl Fn(&str) -> Option<String>) -> Result<OtpParams, String> {
    let kind = match get("OTP_TYPE").as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("totp") => OtpKind::Totp,
        Some("hotp") => OtpKind::Hotp,
        Some(other) => return Err(format!("OTP_TYPE={other:?} must be totp or hotp")),
    };
    let algorithm = match get("OTP_ALGORITHM") {
        None => Algorithm::SHA1,
        Some(text) => parse_algorithm(&text).ok_or(format!("OTP_ALGORITHM={text:?} must be SHA1, SHA256 or SHA512"))?,
    };
    let number = |name: &str, default: u64, allowed: &[u64]| -> Result<u64, String> {
        match get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| allowed.contains(n))
                .ok_or(format!("{name}={text:?} must be one of {allowed:?}")),
        }
    };
    let digits = number("OTP_DIGITS", 6, &[6, 8])? as usize;
    let period = number("OTP_PERIOD", 30, &[30, 60])?;
    let window = match kind {
        OtpKind::Totp => number("OTP_SKEW", 1, &[0, 1])?,
        OtpKind::Hotp => number("HOTP_WINDOW", 10, &(1..=100).collect::<Vec<_>>())?,
    };
    Ok(OtpParams { kind, algorithm, digits, period, window })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_default_is_what_google_authenticator_supports() {
        let params = policy_from(env(&[])).unwrap();
        assert_eq!(params, OtpParams::default());
        assert!(params.is_widely_supported());
    }

    #[test]
    fn every_supported_setting_is_read() {
        let p = policy_from(env(&[("OTP_TYPE", "hotp"), ("OTP_ALGORITHM", "sha-256"), ("OTP_DIGITS", "8")])).unwrap();
        assert_eq!((p.kind, p.algorithm, p.digits, p.window), (OtpKind::Hotp, Algorithm::SHA256, 8, 10));
        let p = policy_from(env(&[("OTP_ALGORITHM", "SHA512"), ("OTP_PERIOD", "60"), ("OTP_SKEW", "0")])).unwrap();
        assert_eq!((p.kind, p.algorithm, p.period, p.window), (OtpKind::Totp, Algorithm::SHA512, 60, 0));
        assert!(!p.is_widely_supported());
    }

    #[test]
    fn unsupported_settings_are_refused_with_a_reason() {
        for bad in [
            ("OTP_TYPE", "sms"),
            ("OTP_ALGORITHM", "MD5"),
            ("OTP_DIGITS", "7"),
            ("OTP_PERIOD", "45"),
            ("OTP_SKEW", "3"),
        ] {
            let error = policy_from(env(&[bad])).unwrap_err();
            assert!(error.starts_with(bad.0), "{error}");
        }
    }
}
