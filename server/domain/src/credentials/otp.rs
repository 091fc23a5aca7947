//! One-time passwords: one parametric type for TOTP (RFC 6238) and HOTP (RFC 4226), whatever
//! the algorithm, digit count and period. TOTP is HOTP of the time-step (RFC 6238 §4), so both
//! are the code of a *moving factor*: the time-step or the counter. totp-rs computes the codes.
//!
//! `check` says *what* matched — the time-step or counter — rather than yes or no, because
//! single use (RFC 6238 §5.2) claims exactly that step or counter in the database
//! (`storage::accounts::claim_time_step`), so a code is accepted at most once.
//!
//! One piece (over 350 lines, 40 % of them tests): the code, its check with the window, and the
//! link and QR code an app reads are one credential's.

use super::otp_params::{OtpKind, OtpParams};
use crate::request_target::encode_component;
use rand::{rngs::OsRng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::TOTP;

/// 160 bits, the length RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// How far (in steps, into the past) a wrong TOTP code is compared, to hint at a phone clock that
/// is behind. Only the past: a hint about a *future* step would tell a guesser which code to
/// replay once that step comes.
const CLOCK_HINT_STEPS: u64 = 20;
/// How far past the HOTP look-ahead window a code is recognised, to resynchronise.
const HOTP_RESYNC_RANGE: u64 = 100;

/// A shared one-time-password key. Deliberately neither `Serialize` nor `Debug`-printable.
#[derive(Clone)]
pub struct OtpSecret(Vec<u8>);

impl std::fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpSecret(..)")
    }
}

impl OtpSecret {
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

    /// Reads a base32 key as other services print it: any case, spaces, dashes and `=` padding
    /// allowed. At least 80 bits (what some services use); this app's own keys are 160.
    pub fn parse_base32(text: &str) -> Result<Self, String> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = totp_rs::Secret::Encoded(cleaned)
            .to_bytes()
            .map_err(|_| "the secret is not base32 (letters A-Z and digits 2-7)".to_owned())?;
        if bytes.len() < 10 {
            return Err(format!("the secret has {} bits; at least 80 are needed", bytes.len() * 8));
        }
        Ok(Self(bytes))
    }
}

fn base32_encode(bytes: &[u8]) -> String {
    match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(text) => text,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

/// Where the moving factor stands: the time for TOTP, the next expected counter for HOTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub unix_time: i64,
    pub next_counter: u64,
}

impl Now {
    /// For a TOTP credential (the counter is unused).
    pub fn at(unix_time: i64) -> Self {
        Self { unix_time, next_counter: 0 }
    }
}

/// What a code matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The code of this time-step (TOTP) or counter (HOTP), within the window: it may be
    /// accepted once that step or counter is claimed.
    Within(u64),
    /// TOTP: the code of a step this many steps in the past, outside the window: the phone's
    /// clock is most likely behind. Never accepted.
    ClockBehind { steps: u64 },
    /// HOTP: the code of a counter beyond the look-ahead window: the device ran ahead and needs
    /// resynchronising (RFC 4226 §7.4). Never accepted on its own.
    Ahead { counter: u64 },
    /// Nothing near.
    Nothing,
}

/// A one-time-password credential: a key and the parameters its codes are made with.
pub struct Otp<'a> {
    secret: &'a OtpSecret,
    params: OtpParams,
}

impl<'a> Otp<'a> {
    pub fn new(secret: &'a OtpSecret, params: OtpParams) -> Self {
        Self { secret, params }
    }

    pub fn params(&self) -> &OtpParams {
        &self.params
    }

    /// The code of one moving factor: the time-step for TOTP, the counter for HOTP.
    pub fn code_at(&self, moving_factor: u64) -> String {
        TOTP::new_unchecked(self.params.algorithm, self.params.digits, 0, 1, self.secret.0.clone())
            .generate(moving_factor)
    }

    /// The TOTP time-step a Unix time falls in.
    pub fn step_at(&self, unix_time: i64) -> u64 {
        u64::try_from(unix_time).unwrap_or(0) / self.params.period.max(1)
    }

    /// The code a device shows now (TOTP) or next (HOTP).
    pub fn current_code(&self, now: Now) -> String {
        match self.params.kind {
            OtpKind::Totp => self.code_at(self.step_at(now.unix_time)),
            OtpKind::Hotp => self.code_at(now.next_counter),
        }
    }

    /// Checks `code` at `now`. Every candidate in the window is computed and compared in
    /// constant time, so the time taken says nothing about which one matched.
    pub fn check(&self, code: &str, now: Now) -> Match {
        match self.params.kind {
            OtpKind::Totp => {
                let current = self.step_at(now.unix_time);
                let window = current.saturating_sub(self.params.window)..=current.saturating_add(self.params.window);
                if let Some(step) = self.first_match(code, window) {
                    return Match::Within(step);
                }
                let past = current.saturating_sub(self.params.window + CLOCK_HINT_STEPS)
                    ..=current.saturating_sub(self.params.window + 1);
                match self.first_match(code, past) {
                    Some(step) => Match::ClockBehind { steps: current - step },
                    None => Match::Nothing,
                }
            }
            OtpKind::Hotp => {
                let end = now.next_counter.saturating_add(self.params.window);
                if let Some(counter) = self.first_match(code, now.next_counter..=end.saturating_sub(1)) {
                    return Match::Within(counter);
                }
                match self.first_match(code, end..=end.saturating_add(HOTP_RESYNC_RANGE - 1)) {
                    Some(counter) => Match::Ahead { counter },
                    None => Match::Nothing,
                }
            }
        }
    }

    /// Whether `code` is exactly the code of `moving_factor` (constant time).
    pub fn is_code_of(&self, code: &str, moving_factor: u64) -> bool {
        bool::from(self.code_at(moving_factor).as_bytes().ct_eq(code.as_bytes()))
    }

    /// The lowest moving factor in `range` whose code equals `code`; all are compared.
    fn first_match(&self, code: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
        if range.is_empty() {
            return None;
        }
        let mut matched = None;
        for factor in range.rev() {
            if self.is_code_of(code, factor) {
                matched = Some(factor);
            }
        }
        matched
    }

    /// The Key Uri Format link authenticator apps read from the QR code. The contract fixes its shape
    /// (`docs/contract/api.md`):
    /// the label is exactly `{issuer}:{username}` and every parameter is spelled out; HOTP links
    /// carry the starting `counter` instead of a period.
    pub fn otpauth_uri(&self, issuer: &str, username: &str) -> String {
        let issuer = encode_component(issuer);
        let last = match self.params.kind {
            OtpKind::Totp => format!("period={}", self.params.period),
            OtpKind::Hotp => "counter=0".to_owned(),
        };
        format!(
            "otpauth://{kind}/{issuer}:{user}?secret={secret}&issuer={issuer}&algorithm={algorithm}&digits={digits}&{last}",
            kind = self.params.kind_name(),
            user = encode_component(username),
            secret = self.secret.to_base32(),
            algorithm = self.params.algorithm_name(),
            digits = self.params.digits,
        )
    }
}

/// The QR code of an otpauth URI as an inline SVG element, made on the server.
pub fn qr_svg(uri: &str) -> Result<String, qrcode::types::QrError> {
    use qrcode::{render::svg, EcLevel, QrCode};
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
    //! Expected codes come from RFC 6238 Appendix B and RFC 4226 Appendix D (independent
    //! sources), not from this code.
    use super::*;
    use crate::credentials::otp_params::Algorithm;

    /// RFC 6238 Appendix B seeds. The erratum (EID 2866): SHA256 and SHA512 use 32- and 64-byte
    /// seeds, the ASCII digits repeated, not the 20-byte SHA1 seed.
    fn seed(len: usize) -> OtpSecret {
        OtpSecret::from_bytes(b"1234567890".iter().cycle().take(len).copied().collect())
    }

    fn totp(digits: usize, algorithm: Algorithm) -> OtpParams {
        OtpParams { digits, algorithm, ..OtpParams::default() }
    }

    const VECTORS: [(i64, &str, &str, &str); 6] = [
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
            for (algorithm, seed_len, expected) in
                [(Algorithm::SHA1, 20, sha1), (Algorithm::SHA256, 32, sha256), (Algorithm::SHA512, 64, sha512)]
            {
                let secret = seed(seed_len);
                let otp = Otp::new(&secret, totp(8, algorithm));
                assert_eq!(otp.current_code(Now::at(time)), expected, "{algorithm:?} at {time}");
                assert_eq!(otp.check(expected, Now::at(time)), Match::Within(time as u64 / 30));
            }
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_digits_of_the_vectors() {
        let secret = seed(20);
        let otp = Otp::new(&secret, OtpParams::default());
        for (time, sha1, _, _) in VECTORS {
            assert_eq!(otp.check(&sha1[2..], Now::at(time)), Match::Within(time as u64 / 30), "at {time}");
        }
    }

    #[test]
    fn a_code_with_a_leading_zero_is_accepted() {
        let secret = seed(20);
        let otp = Otp::new(&secret, OtpParams::default());
        // At 1234567890 the 6-digit code is "005924": two leading zeros.
        assert_eq!(otp.check("005924", Now::at(1234567890)), Match::Within(1234567890 / 30));
        // As a number it would be "5924", which must not pass.
        assert_eq!(otp.check("5924", Now::at(1234567890)), Match::Nothing);
    }

    #[test]
    fn the_previous_and_next_step_are_accepted_and_no_more() {
        let secret = seed(20);
        let otp = Otp::new(&secret, OtpParams::default());
        let (time, code) = (1111111111i64, "050471");
        let step = time as u64 / 30;
        assert_eq!(otp.check(code, Now::at(time)), Match::Within(step));
        assert_eq!(otp.check(code, Now::at(time + 30)), Match::Within(step), "one step later");
        assert_eq!(otp.check(code, Now::at(time - 30)), Match::Within(step), "one step earlier");
        assert_eq!(otp.check(code, Now::at(time + 60)), Match::ClockBehind { steps: 2 }, "two steps later");
        assert_eq!(otp.check(code, Now::at(time - 60)), Match::Nothing, "two steps earlier: never hinted");
        let strict = Otp::new(&secret, OtpParams { window: 0, ..OtpParams::default() });
        assert_eq!(strict.check(code, Now::at(time + 30)), Match::ClockBehind { steps: 1 }, "no skew");
    }

    #[test]
    fn a_code_from_a_clock_minutes_behind_is_recognised_but_not_accepted() {
        let secret = seed(20);
        let otp = Otp::new(&secret, OtpParams::default());
        let four_minutes_later = 1111111111 + 8 * 30;
        assert_eq!(otp.check("050471", Now::at(four_minutes_later)), Match::ClockBehind { steps: 8 });
        assert_eq!(otp.check("050471", Now::at(1111111111 + 30 * 30)), Match::Nothing, "too far to say");
    }

    #[test]
    fn secrets_are_160_bits_of_fresh_randomness() {
        let (a, b) = (OtpSecret::generate(), OtpSecret::generate());
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_eq!(a.to_base32().len(), 32);
    }

    #[test]
    fn rfc_4226_appendix_d_hotp_vectors_match() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        let secret = seed(20);
        let otp = Otp::new(&secret, OtpParams { kind: OtpKind::Hotp, ..OtpParams::default() });
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(otp.code_at(counter as u64), *code, "counter {counter}");
        }
    }

    #[test]
    fn hotp_matches_within_the_look_ahead_window_and_recognises_a_device_ahead() {
        let secret = seed(20);
        let at = |next_counter| Now { unix_time: 0, next_counter };
        let otp = Otp::new(&secret, OtpParams { kind: OtpKind::Hotp, window: 10, ..OtpParams::default() });
        // RFC 4226 counter 5 is "254676".
        assert_eq!(otp.check("254676", at(0)), Match::Within(5));
        assert_eq!(otp.check("254676", at(6)), Match::Nothing, "already past it");
        let narrow = Otp::new(&secret, OtpParams { kind: OtpKind::Hotp, window: 5, ..OtpParams::default() });
        assert_eq!(narrow.check("254676", at(0)), Match::Ahead { counter: 5 }, "beyond the window");
    }

    #[test]
    fn secrets_of_other_services_are_read_leniently_but_not_below_80_bits() {
        let key = OtpSecret::parse_base32("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq==").unwrap();
        assert_eq!(key.as_bytes(), b"12345678901234567890");
        assert_eq!(OtpSecret::parse_base32("JBSWY3DPEHPK3PXP").unwrap().as_bytes().len(), 10);
        assert!(OtpSecret::parse_base32("JBSWY3DPEHPK3P").is_err(), "under 80 bits");
        assert!(OtpSecret::parse_base32("not base32!").is_err());
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
        let secret = seed(20);
        assert_eq!(
            Otp::new(&secret, OtpParams::default()).otpauth_uri("Example Co", "alice"),
            "otpauth://totp/Example%20Co:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = qr_svg("otpauth://totp/X:a?secret=AAAA").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    }
}
