//! Checking a second factor for an account — a code from the app or a recovery code — with the
//! per-account throttle, single use and the security log. Used by the sign-in, by
//! re-authentication and by turning 2FA off.

use subtle::ConstantTimeEq;

use crate::server::{
    accounts::{self, Account},
    clock::now_unix,
    error::AuthError,
    input,
    otp_policy::OtpKind,
    recovery_codes,
    security_log::{self, Event},
    state::AppState,
    throttle::{self, SecondFactorKind, SECOND_FACTOR_LOCK_FAILURES},
    totp,
};

/// How far (in steps, either way) a wrong code is compared, to hint at a phone clock that is off.
const CLOCK_HINT_STEPS: u64 = 20;
/// How far past the HOTP window a code is recognised, to resynchronise with the next one.
const HOTP_RESYNC_RANGE: u64 = 100;

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
    if matches!(compact.len(), input::OTP_DIGITS | 8) && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Proof::Code(compact));
    }
    match recovery_codes::normalize(&raw) {
        Some(code) => Ok(Proof::RecoveryCode(code)),
        None => Err(AuthError::BadInput(
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes.".into(),
        )),
    }
}

pub async fn verify(
    state: &AppState,
    account: &Account,
    proof: &Proof,
    address: Option<&str>,
) -> Result<(), AuthError> {
    match proof {
        Proof::Code(code) => verify_code(state, account, code, address).await,
        Proof::RecoveryCode(code) => verify_recovery_code(state, account, code, address).await,
    }
}

/// A code from the authenticator app: refused unthrottled-or-not before it is even looked at,
/// then matched against the ±1 step window, then its step claimed (single use), which also
/// resets the failure count.
pub async fn verify_code(
    state: &AppState,
    account: &Account,
    code: &str,
    address: Option<&str>,
) -> Result<(), AuthError> {
    let secret = account.totp_secret.as_ref().ok_or(AuthError::CodeRejected)?;
    let params = account.otp;
    input::code_of_length(code, params.digits)?;
    let failures = throttle::reserve_second_factor_attempt(&state.db, account.id, SecondFactorKind::Code).await?;
    let now = u64::try_from(now_unix()).unwrap_or(0);
    let accepted = match params.kind {
        OtpKind::Totp => match totp::matching_totp_step(secret, &params, code, now) {
            // The right code, but if its step was already used it is a replay.
            Some(step) => accounts::claim_time_step(&state.db, account.id, step).await?,
            None => false,
        },
        OtpKind::Hotp => {
            let from = account.hotp_counter;
            let resynced =
                account.hotp_resync_counter.filter(|r| *r >= from).map(|r| r + 1).filter(|next| {
                    bool::from(totp::code_for(secret, &params, *next).as_bytes().ct_eq(code.as_bytes()))
                });
            match totp::matching_hotp_counter(secret, &params, code, from, params.window).or(resynced) {
                Some(counter) => accounts::claim_hotp_counter(&state.db, account.id, counter).await?,
                None => {
                    let beyond = from.saturating_add(params.window);
                    if let Some(counter) = totp::matching_hotp_counter(secret, &params, code, beyond, HOTP_RESYNC_RANGE)
                    {
                        accounts::remember_hotp_resync(&state.db, account.id, counter).await?;
                        security_log::record(&state.db, account.id, Event::CodeRejected, address).await;
                        return Err(AuthError::HotpResyncNeeded);
                    }
                    false
                }
            }
        }
    };
    if !accepted {
        security_log::record(&state.db, account.id, Event::CodeRejected, address).await;
        if failures == SECOND_FACTOR_LOCK_FAILURES {
            security_log::record(&state.db, account.id, Event::CodesLocked, address).await;
        }
        // A code of a past step just outside the window most likely comes from a phone whose
        // clock is behind: say so (it still counts as a failure, and is never accepted). Only
        // past steps: a hint about a *future* step would tell a guesser which code to replay
        // once that step comes.
        let default_totp = params == crate::server::otp_policy::OtpParams::default();
        if let Some(offset) = totp::clock_offset_steps(secret, code, now, CLOCK_HINT_STEPS).filter(|_| default_totp) {
            if offset < -1 {
                let minutes = (offset.unsigned_abs() * totp::PERIOD_SECONDS).div_ceil(60);
                return Err(AuthError::CodeRejectedClockOff { minutes });
            }
        }
        return Err(AuthError::CodeRejected);
    }
    // Claiming the step or counter has reset the failure count.
    Ok(())
}

/// A recovery code: spent for good when it matches; it also lifts a lock on codes.
/// `typed` is the code as entered: a malformed one is refused like a wrong one, and throttled
/// like one — except one longer than any recovery code, which is a 400 and counts for nothing.
pub async fn verify_recovery_code(
    state: &AppState,
    account: &Account,
    typed: &str,
    address: Option<&str>,
) -> Result<(), AuthError> {
    if recovery_codes::too_long(typed) {
        return Err(AuthError::BadInput(
            "That is too long to be a recovery code: each has ten letters and digits.".into(),
        ));
    }
    throttle::reserve_second_factor_attempt(&state.db, account.id, SecondFactorKind::RecoveryCode).await?;
    let redeemed = match recovery_codes::normalize(typed) {
        Some(canonical) => accounts::redeem_recovery_code(&state.db, account.id, &canonical).await?,
        None => false,
    };
    if !redeemed {
        security_log::record(&state.db, account.id, Event::RecoveryCodeRejected, address).await;
        return Err(AuthError::RecoveryCodeRejected);
    }
    throttle::clear_second_factor_failures(&state.db, account.id).await?;
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
