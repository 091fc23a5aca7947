//! Time-based one-time passwords (RFC 6238) with totp-rs: SHA1, 6 digits, 30-second steps.
//!
//! We do not use totp-rs's own skew check because single use (RFC 6238 §5.2) needs to know
//! *which* step a code matched: that step is then claimed atomically in the database
//! (`accounts::claim_time_step`), so a code is accepted at most once.

use crate::server::otp_policy::{OtpKind, OtpParams};
use qrcode::{render::svg, EcLevel, QrCode};
use rand::{rngs::OsRng, RngCore};
use subtle::ConstantTimeEq;
pub use totp_rs::Algorithm;
use totp_rs::TOTP;

pub const DIGITS: usize = 6;
pub const PERIOD_SECONDS: u64 = 30;
/// 160 bits, the length RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// A shared TOTP key. Deliberately neither `Serialize` nor `Debug`-printable.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new random key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case RFC 4648 base32 without padding: what authenticator apps expect.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The key in groups of four, easier to type: `ABCD EFGH ...`.
    pub fn to_grouped_base32(&self) -> String {
        let plain = self.to_base32();
        plain
            .as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn base32_encode(bytes: &[u8]) -> String {
    match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(text) => text,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

/// Reads a base32 key as other services print it: any case, spaces, dashes and `=` padding
/// allowed. At least 80 bits (what some services use); this app's own keys are 160.
pub fn parse_base32_secret(text: &str) -> Result<TotpSecret, String> {
    let cleaned: String =
        text.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '=').map(|c| c.to_ascii_uppercase()).collect();
    let bytes = totp_rs::Secret::Encoded(cleaned)
        .to_bytes()
        .map_err(|_| "the secret is not base32 (letters A-Z and digits 2-7)".to_owned())?;
    if bytes.len() < 10 {
        return Err(format!("the secret has {} bits; at least 80 are needed", bytes.len() * 8));
    }
    Ok(TotpSecret(bytes))
}

/// An HOTP code (RFC 4226) for a counter: TOTP is HOTP of the time-step, so a one-second step
/// at "time" = counter gives it.
pub fn hotp_code(secret: &TotpSecret, counter: u64, digits: usize, algorithm: Algorithm) -> String {
    TOTP::new_unchecked(algorithm, digits, 0, 1, secret.0.clone()).generate(counter)
}

/// The time-step a Unix time falls in.
pub fn time_step(unix_seconds: u64) -> u64 {
    unix_seconds / PERIOD_SECONDS
}

/// The code for one time-step, with `digits` digits (6 here; 8 for the RFC's test vectors).
pub fn code_at_step(secret: &TotpSecret, step: u64, digits: usize, algorithm: Algorithm) -> Option<String> {
    if !(6..=8).contains(&digits) || secret.0.is_empty() {
        return None;
    }
    let totp = TOTP::new_unchecked(algorithm, digits, 0, PERIOD_SECONDS, secret.0.clone());
    Some(totp.generate(step.checked_mul(PERIOD_SECONDS)?))
}

/// The time-step (current one ±1) whose code equals `code`, compared in constant time, for the
/// default parameters (SHA1, 6 digits, 30 s).
pub fn matching_step(secret: &TotpSecret, code: &str, now_unix: u64) -> Option<u64> {
    matching_totp_step(secret, &OtpParams::default(), code, now_unix)
}

/// The code of one moving factor: the time-step for TOTP, the counter for HOTP (TOTP is HOTP of
/// the time-step, RFC 6238 §4).
pub fn code_for(secret: &TotpSecret, params: &OtpParams, moving_factor: u64) -> String {
    TOTP::new_unchecked(params.algorithm, params.digits, 0, 1, secret.0.clone()).generate(moving_factor)
}

/// The time-step within the window (current ± `params.window`) whose code equals `code`. Every
/// candidate is computed and compared in constant time, so the time taken says nothing.
pub fn matching_totp_step(secret: &TotpSecret, params: &OtpParams, code: &str, now_unix: u64) -> Option<u64> {
    let current = now_unix / params.period.max(1);
    let mut matched = None;
    for step in current.saturating_sub(params.window)..=current + params.window {
        if bool::from(code_for(secret, params, step).as_bytes().ct_eq(code.as_bytes())) {
            matched = Some(step);
        }
    }
    matched
}

/// The first HOTP counter in `from .. from + count` whose code equals `code` (all compared).
pub fn matching_hotp_counter(
    secret: &TotpSecret,
    params: &OtpParams,
    code: &str,
    from: u64,
    count: u64,
) -> Option<u64> {
    let mut matched = None;
    for counter in (from..from.saturating_add(count)).rev() {
        if bool::from(code_for(secret, params, counter).as_bytes().ct_eq(code.as_bytes())) {
            matched = Some(counter);
        }
    }
    matched
}

/// How many steps away (negative: the past) the step is whose code equals `code`, looking up to
/// `max_steps` either side — only to tell a person their clock may be off, never to accept.
/// (The caller hints only about past steps.)
pub fn clock_offset_steps(secret: &TotpSecret, code: &str, now_unix: u64, max_steps: u64) -> Option<i64> {
    let current = time_step(now_unix);
    (1..=max_steps).find_map(|distance| {
        [current.checked_sub(distance), Some(current + distance)]
            .into_iter()
            .flatten()
            .find(|step| {
                code_at_step(secret, *step, DIGITS, Algorithm::SHA1)
                    .is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(code.as_bytes())))
            })
            .map(|step| step as i64 - current as i64)
    })
}

/// The Key Uri Format link authenticator apps read from the QR code. API.md fixes its shape:
/// the label is exactly `{issuer}:{username}` and every parameter is spelled out.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, username: &str) -> String {
    otpauth_uri_with(secret, issuer, username, &OtpParams::default())
}

/// The same for any parameters: HOTP links carry the starting `counter` instead of a period.
pub fn otpauth_uri_with(secret: &TotpSecret, issuer: &str, username: &str, params: &OtpParams) -> String {
    let issuer = crate::uri::encode_component(issuer);
    let last = match params.kind {
        OtpKind::Totp => format!("period={}", params.period),
        OtpKind::Hotp => "counter=0".to_owned(),
    };
    format!(
        "otpauth://{kind}/{issuer}:{user}?secret={secret}&issuer={issuer}&algorithm={algorithm}&digits={digits}&{last}",
        kind = params.kind_name(),
        user = crate::uri::encode_component(username),
        secret = secret.to_base32(),
        algorithm = params.algorithm_name(),
        digits = params.digits,
    )
}

/// The QR code of the otpauth URI as an inline SVG element, made on the server.
pub fn qr_svg(uri: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Drop the XML declaration: the SVG is inlined into HTML.
    Ok(match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    })
}

#[cfg(test)]
mod tests {
    //! Expected codes come from RFC 6238 Appendix B (an independent source), not from this code.
    use super::*;

    /// RFC 6238 Appendix B seeds. The erratum (EID 2866): SHA256 and SHA512 use 32- and 64-byte
    /// seeds, the ASCII digits repeated, not the 20-byte SHA1 seed.
    fn seed(len: usize) -> TotpSecret {
        TotpSecret::from_bytes(b"1234567890".iter().cycle().take(len).copied().collect())
    }

    const VECTORS: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc_6238_appendix_b_vectors_match_for_all_three_hashes() {
        for (time, sha1, sha256, sha512) in VECTORS {
            let step = time_step(time);
            assert_eq!(code_at_step(&seed(20), step, 8, Algorithm::SHA1).unwrap(), sha1, "SHA1 at {time}");
            assert_eq!(code_at_step(&seed(32), step, 8, Algorithm::SHA256).unwrap(), sha256, "SHA256 at {time}");
            assert_eq!(code_at_step(&seed(64), step, 8, Algorithm::SHA512).unwrap(), sha512, "SHA512 at {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_digits_of_the_vectors() {
        for (time, sha1, _, _) in VECTORS {
            assert_eq!(matching_step(&seed(20), &sha1[2..], time), Some(time_step(time)), "at {time}");
        }
    }

    #[test]
    fn a_code_with_a_leading_zero_is_accepted() {
        // At 1234567890 the 6-digit code is "005924": two leading zeros.
        assert_eq!(matching_step(&seed(20), "005924", 1234567890), Some(time_step(1234567890)));
        // As a number it would be "5924", which must not pass.
        assert_eq!(matching_step(&seed(20), "5924", 1234567890), None);
    }

    #[test]
    fn the_previous_and_next_step_are_accepted_and_no_more() {
        let time = 1111111111u64; // code "050471" belongs to this step
        let code = "050471";
        let step = time_step(time);
        assert_eq!(matching_step(&seed(20), code, time), Some(step));
        assert_eq!(matching_step(&seed(20), code, time + PERIOD_SECONDS), Some(step), "one step later");
        assert_eq!(matching_step(&seed(20), code, time - PERIOD_SECONDS), Some(step), "one step earlier");
        assert_eq!(matching_step(&seed(20), code, time + 2 * PERIOD_SECONDS), None, "two steps later");
        assert_eq!(matching_step(&seed(20), code, time - 2 * PERIOD_SECONDS), None, "two steps earlier");
    }

    #[test]
    fn a_code_from_a_clock_off_by_minutes_is_recognised_but_not_accepted() {
        let time = 1111111111u64; // "050471" belongs to this step
        let four_minutes_later = time + 8 * PERIOD_SECONDS;
        assert_eq!(matching_step(&seed(20), "050471", four_minutes_later), None);
        assert_eq!(clock_offset_steps(&seed(20), "050471", four_minutes_later, 10), Some(-8));
        assert_eq!(clock_offset_steps(&seed(20), "050471", time - 3 * PERIOD_SECONDS, 10), Some(3));
        assert_eq!(clock_offset_steps(&seed(20), "050471", time + 30 * PERIOD_SECONDS, 10), None);
    }

    #[test]
    fn secrets_are_160_bits_of_fresh_randomness() {
        let (a, b) = (TotpSecret::generate(), TotpSecret::generate());
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_eq!(a.to_base32().len(), 32);
    }

    #[test]
    fn eight_digit_sha256_and_sha512_codes_match_the_rfc_through_the_policy_path() {
        for (time, _, sha256, sha512) in VECTORS {
            for (algorithm, seed_len, expected) in [(Algorithm::SHA256, 32, sha256), (Algorithm::SHA512, 64, sha512)] {
                let params = OtpParams { algorithm, digits: 8, ..OtpParams::default() };
                assert_eq!(matching_totp_step(&seed(seed_len), &params, expected, time), Some(time / 30));
            }
        }
    }

    #[test]
    fn hotp_matches_within_the_look_ahead_window_only() {
        let params = OtpParams { kind: OtpKind::Hotp, ..OtpParams::default() };
        // RFC 4226 counter 5 is "254676".
        assert_eq!(matching_hotp_counter(&seed(20), &params, "254676", 0, 10), Some(5));
        assert_eq!(matching_hotp_counter(&seed(20), &params, "254676", 6, 10), None, "already past it");
        assert_eq!(matching_hotp_counter(&seed(20), &params, "254676", 0, 5), None, "beyond the window");
    }

    #[test]
    fn rfc_4226_appendix_d_hotp_vectors_match() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp_code(&seed(20), counter as u64, 6, Algorithm::SHA1), *code, "counter {counter}");
        }
    }

    #[test]
    fn secrets_of_other_services_are_read_leniently_but_not_below_80_bits() {
        let key = parse_base32_secret("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq==").unwrap();
        assert_eq!(key.as_bytes(), b"12345678901234567890");
        assert_eq!(parse_base32_secret("JBSWY3DPEHPK3PXP").unwrap().as_bytes().len(), 10);
        assert!(parse_base32_secret("JBSWY3DPEHPK3P").is_err(), "under 80 bits");
        assert!(parse_base32_secret("not base32!").is_err());
    }

    #[test]
    fn base32_matches_rfc_4648_vectors() {
        // RFC 4648 §10, without padding.
        for (raw, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(raw.as_bytes()), encoded);
        }
        assert_eq!(seed(20).to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(seed(20).to_grouped_base32(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
    }

    #[test]
    fn the_otpauth_uri_has_the_contract_shape() {
        assert_eq!(
            otpauth_uri(&seed(20), "Example Co", "alice"),
            "otpauth://totp/Example%20Co:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = qr_svg("otpauth://totp/X:a?secret=AAAA").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    }
}
