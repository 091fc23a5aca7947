//! `server otp …`: one-time passwords computed and checked from the command line.

use super::{
    input::first_line_of_stdin,
    outcome::{OperatorError, Outcome},
};
use crate::operator::cli::OtpCommand;
use domain::{
    credentials::{
        otp::{Match, Now, Otp, OtpSecret},
        otp_params::{OtpKind, OtpParams},
        secret_box,
    },
    input, Clock,
};

/// The OTP helpers (TOTP: SHA1, 6 digits, 30 s; HOTP: SHA1, 6 digits), on the domain's one
/// parametric OTP type. `--secret -` reads the key from standard input, so it stays out of `ps`
/// and shell history.
pub fn otp(command: OtpCommand, clock: &Clock) -> Result<Outcome, OperatorError> {
    let key = |text: &str| {
        let text = if text == "-" { first_line_of_stdin() } else { text.to_owned() };
        OtpSecret::parse_base32(&text).map_err(OperatorError::Refused)
    };
    let totp = OtpParams::default();
    let now = Now::at(clock.now());
    Ok(match command {
        OtpCommand::Secret { hex } => {
            let secret = OtpSecret::generate();
            Outcome::Printed(if hex { secret_box::to_hex(secret.as_bytes()) } else { secret.to_base32() })
        }
        OtpCommand::Now { key: arg } => Outcome::Printed(Otp::new(&key(&arg.secret)?, totp).current_code(now)),
        OtpCommand::Verify { key: arg, code } => {
            let secret = key(&arg.secret)?;
            let code = input::one_time_code(Some(code)).map_err(|e| OperatorError::Refused(e.to_string()))?;
            Outcome::Verified(matches!(Otp::new(&secret, totp).check(&code, now), Match::Within(_)))
        }
        OtpCommand::Hotp { key: arg, counter } => {
            let hotp = OtpParams { kind: OtpKind::Hotp, ..totp };
            Outcome::Printed(Otp::new(&key(&arg.secret)?, hotp).code_at(counter))
        }
        OtpCommand::Uri { key: arg, account, issuer } => {
            Outcome::Printed(Otp::new(&key(&arg.secret)?, totp).otpauth_uri(&issuer, &account))
        }
    })
}
