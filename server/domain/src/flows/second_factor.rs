//! Checking a second factor for an account — a code from the app or a recovery code — with the
//! per-account throttle, single use and the security log. Used by the sign-in, by
//! re-authentication and by turning 2FA off.

use crate::{
    credentials::{
        otp::{Match, Now, Otp},
        otp_params::{self, OtpKind},
        recovery_codes,
    },
    error::AuthError,
    input,
    services::Services,
    storage::{
        accounts::{self, Account},
        security_log::Event,
        throttle::{self, SecondFactorKind, SECOND_FACTOR_LOCK_FAILURES},
    },
};

/// What a person offered as their second factor.
pub enum Proof {
    Code(String),
    RecoveryCode(String),
}

/// The `otp` field of the forms that take either: six (or eight) digits are a code; anything
/// else that reads as a recovery code is one — whatever its characters, a recovery code made
/// of digits only among them; too long for either is refused before anything is counted.
pub fn code_or_recovery_code(field: Option<String>) -> Result<Proof, AuthError> {
    let raw = field.unwrap_or_default();
    if raw.len() > input::MAX_CODE_FIELD {
        return Err(AuthError::BadInput("That is too long for a code or a recovery code.".into()));
    }
    // Spaces and dashes are how codes are grouped when read aloud or copied ("123 456").
    let compact: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if matches!(compact.len(), otp_params::DEFAULT_DIGITS | 8) && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Proof::Code(compact));
    }
    match recovery_codes::normalize(&raw) {
        Some(code) => Ok(Proof::RecoveryCode(code)),
        None => Err(AuthError::BadInput(
            "Enter the 6- or 8-digit code from your authenticator app, or one of your recovery codes.".into(),
        )),
    }
}

pub async fn verify(
    services: &Services,
    account: &Account,
    proof: &Proof,
    address: Option<&str>,
) -> Result<(), AuthError> {
    match proof {
        Proof::Code(code) => verify_code(services, account, code, address).await,
        Proof::RecoveryCode(code) => verify_recovery_code(services, account, code, address).await,
    }
}

/// A code from the authenticator app: throttled before it is even looked at, then matched in
/// the credential's window, then its time-step or counter claimed (single use), which also
/// resets the failure count.
pub async fn verify_code(
    services: &Services,
    account: &Account,
    code: &str,
    address: Option<&str>,
) -> Result<(), AuthError> {
    let secret = account.otp_secret.as_ref().ok_or(AuthError::CodeRejected)?;
    let otp = Otp::new(secret, account.otp);
    input::code_of_length(code, account.otp.digits)?;
    let (db, now) = (&services.db, services.now());
    let failures = throttle::reserve_second_factor_attempt(db, account.id, SecondFactorKind::Code, now).await?;
    let next_counter = account.hotp_counter;
    // HOTP: a code that follows one seen beyond the window resynchronises (RFC 4226 §7.4).
    let resynced = account
        .hotp_resync_counter
        .filter(|seen| *seen >= next_counter)
        .map(|seen| seen + 1)
        .filter(|next| otp.is_code_of(code, *next));
    let checked = otp.check(code, Now { unix_time: now, next_counter });
    let matched = match (checked, resynced) {
        (Match::Within(factor), _) | (_, Some(factor)) => Some(factor),
        (Match::Ahead { counter }, None) => {
            accounts::remember_hotp_resync(db, account.id, counter).await?;
            services.log(account.id, Event::CodeRejected, address).await;
            return Err(AuthError::HotpResyncNeeded);
        }
        (Match::ClockBehind { .. } | Match::Nothing, None) => None,
    };
    // The right code, but if its step (or counter) was already used it is a replay.
    let accepted = match matched {
        Some(factor) if account.otp.kind == OtpKind::Hotp => {
            accounts::claim_hotp_counter(db, account.id, factor).await?
        }
        Some(step) => accounts::claim_time_step(db, account.id, step).await?,
        None => false,
    };
    if accepted {
        // Claiming the step or counter has reset the failure count.
        return Ok(());
    }
    services.log(account.id, Event::CodeRejected, address).await;
    if failures == SECOND_FACTOR_LOCK_FAILURES {
        services.log(account.id, Event::CodesLocked, address).await;
    }
    // A code of a past step just outside the window most likely comes from a phone whose clock
    // is behind: say so (it still counts as a failure, and is never accepted).
    if let Match::ClockBehind { steps } = checked {
        let minutes = (steps * account.otp.period).div_ceil(60);
        return Err(AuthError::CodeRejectedClockOff { minutes });
    }
    Err(AuthError::CodeRejected)
}

/// A recovery code: spent for good when it matches; it also lifts a lock on codes.
/// `typed` is the code as entered: a malformed one is refused like a wrong one, and throttled
/// like one — except one longer than any recovery code, which is a 400 and counts for nothing.
pub async fn verify_recovery_code(
    services: &Services,
    account: &Account,
    typed: &str,
    address: Option<&str>,
) -> Result<(), AuthError> {
    if recovery_codes::too_long(typed) {
        return Err(AuthError::BadInput(
            "That is too long to be a recovery code: each has ten letters and digits.".into(),
        ));
    }
    let (db, now) = (&services.db, services.now());
    throttle::reserve_second_factor_attempt(db, account.id, SecondFactorKind::RecoveryCode, now).await?;
    let redeemed = match recovery_codes::normalize(typed) {
        Some(canonical) => {
            accounts::redeem_recovery_code(db, &services.recovery_codes, account.id, &canonical, now).await?
        }
        None => false,
    };
    if !redeemed {
        services.log(account.id, Event::RecoveryCodeRejected, address).await;
        return Err(AuthError::RecoveryCodeRejected);
    }
    throttle::clear_second_factor_failures(db, account.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_or_eight_digits_are_a_code_and_anything_else_a_recovery_code() {
        assert!(matches!(code_or_recovery_code(Some(" 123 456 ".into())), Ok(Proof::Code(c)) if c == "123456"));
        assert!(matches!(code_or_recovery_code(Some("12345678".into())), Ok(Proof::Code(_))));
        assert!(matches!(code_or_recovery_code(Some("123-456".into())), Ok(Proof::Code(c)) if c == "123456"));
        // A recovery code may be made of digits only: it is still a recovery code.
        assert!(
            matches!(code_or_recovery_code(Some("12345-67890".into())), Ok(Proof::RecoveryCode(c)) if c == "1234567890")
        );
        assert!(matches!(code_or_recovery_code(Some("1234567890".into())), Ok(Proof::RecoveryCode(_))));
        assert!(
            matches!(code_or_recovery_code(Some(" AB3DE - FG7HJ ".into())), Ok(Proof::RecoveryCode(c)) if c == "ab3defg7hj")
        );
        for bad in ["", "12345", "abc", &"1".repeat(65)] {
            assert!(matches!(code_or_recovery_code(Some(bad.to_string())), Err(AuthError::BadInput(_))), "{bad}");
        }
    }
}
