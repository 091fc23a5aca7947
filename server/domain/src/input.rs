//! Parsing what a client sends. Everything arrives as an optional string (a missing field is a
//! clear 400, not a decoding failure); these functions turn it into checked values.

use crate::{credentials::otp_params::DEFAULT_DIGITS, error::AuthError};
use secrecy::SecretString;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
/// NIST SP 800-63B: at least 8 characters, no composition rules.
pub const PASSWORD_MIN: usize = 8;
/// NIST asks to allow at least 64; we allow 256 characters, and refuse longer ones so a
/// request cannot make Argon2 hash megabytes.
pub const PASSWORD_MAX: usize = 256;
/// The longest a code or recovery code field may be (spaces and dashes included): anything
/// longer is a 400 before it is looked at or counted.
pub const MAX_CODE_FIELD: usize = 64;

/// A username as typed (its case is kept for display).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The form that decides uniqueness: names differ only if they differ without regard to case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

fn required(field: Option<String>, what: &str) -> Result<String, AuthError> {
    match field {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(AuthError::BadInput(format!("Enter your {what}."))),
    }
}

/// A username for a new account: 3–32 letters, digits, `.`, `_` or `-`.
pub fn new_username(field: Option<String>) -> Result<Username, AuthError> {
    let value = required(field, "username")?;
    let length = value.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&length) {
        return Err(AuthError::BadInput(format!("A username has {USERNAME_MIN} to {USERNAME_MAX} characters.")));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err(AuthError::BadInput("A username may only contain letters, digits, '.', '_' and '-'.".to_owned()));
    }
    Ok(Username(value))
}

/// A username typed at sign-in. A name that could never exist is not an error of its own: it
/// is looked up like any other and fails like an unknown user (same status, message and work).
pub fn sign_in_username(field: Option<String>) -> Result<Option<Username>, AuthError> {
    let value = required(field, "username")?;
    if value.chars().count() > 256 {
        return Err(AuthError::BadInput("That username is too long.".to_owned()));
    }
    // Control characters (NUL among them) are in no username; they would also be refused by
    // PostgreSQL in the throttling key.
    if value.chars().any(char::is_control) {
        return Err(AuthError::BadInput("A username has no control characters.".to_owned()));
    }
    Ok(new_username(Some(value)).ok())
}

/// A password for a new account (or a new password).
pub fn new_password(field: Option<String>) -> Result<SecretString, AuthError> {
    let value = required(field, "password")?;
    let length = value.chars().count();
    if length < PASSWORD_MIN {
        return Err(AuthError::BadInput(format!("Choose a password of at least {PASSWORD_MIN} characters.")));
    }
    if length > PASSWORD_MAX {
        return Err(AuthError::BadInput(format!("A password has at most {PASSWORD_MAX} characters.")));
    }
    Ok(SecretString::from(value))
}

/// A password typed at sign-in: only the upper bound is checked.
pub fn sign_in_password(field: Option<String>) -> Result<SecretString, AuthError> {
    let value = required(field, "password")?;
    if value.chars().count() > PASSWORD_MAX {
        return Err(AuthError::BadInput(format!("A password has at most {PASSWORD_MAX} characters.")));
    }
    Ok(SecretString::from(value))
}

/// "Username or email", as typed on the password reset form: trimmed, required, at most 256
/// characters, no control characters. Whether it names an account is not for the form to say.
pub fn username_or_email(field: Option<String>) -> Result<String, AuthError> {
    let value = field.unwrap_or_default().trim().to_owned();
    if value.is_empty() {
        return Err(AuthError::BadInput("Enter your username or your email address.".to_owned()));
    }
    if value.chars().count() > 256 || value.chars().any(char::is_control) {
        return Err(AuthError::BadInput("That is not a username or an email address.".to_owned()));
    }
    Ok(value)
}

/// A one-time code: whitespace is ignored (people paste "123 456"), then it must be six digits
/// (or eight, for credentials made with 8-digit codes; `code_of_length` checks which). It stays
/// a string: as a number, "012345" would lose its leading zero.
pub fn one_time_code(field: Option<String>) -> Result<String, AuthError> {
    let value = field.unwrap_or_default();
    if value.len() > MAX_CODE_FIELD {
        return Err(AuthError::BadInput("That code is too long: enter the 6-digit code.".to_owned()));
    }
    let code: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if !matches!(code.len(), DEFAULT_DIGITS | 8) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::BadInput(
            "Enter the 6-digit code from your authenticator app (digits only).".to_owned(),
        ));
    }
    Ok(code)
}

/// The code has as many digits as the credential's codes.
pub fn code_of_length(code: &str, digits: usize) -> Result<(), AuthError> {
    if code.len() == digits {
        Ok(())
    } else {
        Err(AuthError::BadInput(format!("Enter the {digits}-digit code from your authenticator app (digits only).")))
    }
}

/// A display name (optional: empty means none): up to 100 characters, no control characters.
pub fn display_name(field: Option<String>) -> Result<Option<String>, AuthError> {
    let value = field.unwrap_or_default().trim().to_owned();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(AuthError::BadInput(
            "A display name has at most 100 characters, and no control characters.".into(),
        ));
    }
    Ok(Some(value))
}

/// An email address (optional: empty means none), checked for its shape only.
pub fn email(field: Option<String>) -> Result<Option<String>, AuthError> {
    let value = field.unwrap_or_default().trim().to_owned();
    if value.is_empty() {
        return Ok(None);
    }
    let shaped = value.len() <= 254
        && !value.chars().any(|c| c.is_control() || c.is_whitespace() || c == ',')
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'));
    if !shaped {
        return Err(AuthError::BadInput("Enter an email address such as name@example.com.".into()));
    }
    Ok(Some(value))
}

/// The handle of a session to end, as the session list gave it (`storage::sessions::handle_of`:
/// 32 lower-case hex digits). Whose session it names is for the flow to find out.
pub fn session_handle(field: Option<String>) -> Result<String, AuthError> {
    let value =
        field.filter(|v| !v.is_empty()).ok_or_else(|| AuthError::BadInput("Choose a session to end.".into()))?;
    let shaped = value.len() == 32 && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !shaped {
        return Err(AuthError::BadInput("That is not a session from the list. Reload the page and try again.".into()));
    }
    Ok(value)
}

/// A remembered device's handle, as "Forget" sends it: 32 lower-case hex digits. Whether it
/// names one of the account's devices is for the flow to find out.
pub fn device_handle(field: Option<String>) -> Result<String, AuthError> {
    let value =
        field.filter(|v| !v.is_empty()).ok_or_else(|| AuthError::BadInput("Choose a device to forget.".into()))?;
    let shaped = value.len() == 32 && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !shaped {
        return Err(AuthError::BadInput("That is not a device from the list. Reload the page and try again.".into()));
    }
    Ok(value)
}

/// A checkbox: ticked when the field is sent with any value but an empty one, `0`, `false` or
/// `off` (a browser sends `on`, a script may send `true` or `1`); not sent, not ticked.
pub fn checked(field: Option<&str>) -> bool {
    field.is_some_and(|value| !matches!(value.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "off"))
}

/// The client id of an app whose access is to be removed: as registered (letters, digits, `.`,
/// `_`, `-`, up to 64). Whether it holds anything is for the flow to find out.
pub fn client_id(field: Option<String>) -> Result<String, AuthError> {
    let value = field.filter(|v| !v.is_empty()).ok_or_else(|| AuthError::BadInput("Choose an app.".into()))?;
    let shaped =
        value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !shaped {
        return Err(AuthError::BadInput("That is not an app from the list. Reload the page and try again.".into()));
    }
    Ok(value)
}

/// Group names, comma-separated: letters, digits, `.`, `_` and `-`, up to 64 each.
pub fn groups(field: &str) -> Result<Vec<String>, AuthError> {
    let groups: Vec<String> = field.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect();
    group_names(&groups)?;
    Ok(groups)
}

/// Each of `names` is a group name: letters, digits, `.`, `_` and `-`, 1 to 64 of them (so a
/// list of them joined with commas reads back as the same list).
pub fn group_names(names: &[String]) -> Result<(), AuthError> {
    let fine = |g: &String| {
        !g.is_empty() && g.len() <= 64 && g.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    match names.iter().find(|g| !fine(g)) {
        Some(bad) => {
            Err(AuthError::BadInput(format!("{bad:?} is not a group name: letters, digits, '.', '_' and '-' only")))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_handle_is_32_lower_case_hex_digits() {
        assert!(session_handle(Some("0123456789abcdef0123456789abcdef".into())).is_ok());
        for bad in ["", "0123456789ABCDEF0123456789ABCDEF", "0123", "../0123456789abcdef0123456789ab"] {
            assert!(matches!(session_handle(Some(bad.into())), Err(AuthError::BadInput(_))), "{bad:?}");
        }
        assert!(matches!(session_handle(None), Err(AuthError::BadInput(_))));
    }

    #[test]
    fn a_device_handle_is_32_lower_case_hex_digits() {
        assert!(device_handle(Some("0123456789abcdef0123456789abcdef".into())).is_ok());
        for bad in ["", "0123456789ABCDEF0123456789ABCDEF", "0123"] {
            assert!(matches!(device_handle(Some(bad.into())), Err(AuthError::BadInput(_))), "{bad:?}");
        }
        assert!(matches!(device_handle(None), Err(AuthError::BadInput(_))));
    }

    #[test]
    fn a_checkbox_is_ticked_by_on_true_or_one_and_not_by_its_absence() {
        for ticked in ["on", "true", "1", "yes", "ON"] {
            assert!(checked(Some(ticked)), "{ticked}");
        }
        for not_ticked in [None, Some(""), Some("0"), Some("false"), Some("off")] {
            assert!(!checked(not_ticked), "{not_ticked:?}");
        }
    }

    #[test]
    fn a_client_id_is_shaped_as_registered() {
        assert_eq!(client_id(Some("wiki.example_1-2".into())).unwrap(), "wiki.example_1-2");
        for bad in ["", "a b", "<script>", &"x".repeat(65)] {
            assert!(matches!(client_id(Some(bad.into())), Err(AuthError::BadInput(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_code_with_a_leading_zero_keeps_it() {
        assert_eq!(one_time_code(Some("012345".into())).unwrap(), "012345");
    }

    #[test]
    fn spaces_inside_a_code_are_ignored() {
        assert_eq!(one_time_code(Some(" 123 456 ".into())).unwrap(), "123456");
    }

    #[test]
    fn anything_but_six_digits_is_refused() {
        for bad in ["", "12345", "1234567", "123456789", "12345a", "１２３４５６", "12 34 5", "-12345", "+12345"]
        {
            assert!(matches!(one_time_code(Some(bad.into())), Err(AuthError::BadInput(_))), "{bad:?} was accepted");
        }
        assert!(matches!(one_time_code(None), Err(AuthError::BadInput(_))));
    }

    #[test]
    fn usernames_follow_the_rules() {
        for good in ["abc", "Alice.Smith-2_x", &"a".repeat(32)] {
            assert!(new_username(Some(good.to_string())).is_ok(), "{good} refused");
        }
        for bad in ["ab", &"a".repeat(33), "has space", "émile", "a/b", ""] {
            assert!(new_username(Some(bad.to_string())).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn usernames_are_unique_without_regard_to_case() {
        let a = new_username(Some("Alice".into())).unwrap();
        let b = new_username(Some("aLICE".into())).unwrap();
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn passwords_need_eight_characters_and_no_composition() {
        assert!(new_password(Some("1234567".into())).is_err());
        assert!(new_password(Some("aaaaaaaa".into())).is_ok());
        assert!(new_password(Some("ünïcødé pässwörd 🔑".into())).is_ok());
        assert!(new_password(Some("x".repeat(128))).is_ok());
        assert!(new_password(Some("x".repeat(PASSWORD_MAX + 1))).is_err());
    }

    #[test]
    fn profiles_and_groups_are_checked() {
        assert_eq!(display_name(Some("  Alice Smith ".into())).unwrap().as_deref(), Some("Alice Smith"));
        assert_eq!(display_name(Some("".into())).unwrap(), None);
        assert!(display_name(Some("a\nb".into())).is_err());
        assert_eq!(email(Some("alice@example.com".into())).unwrap().as_deref(), Some("alice@example.com"));
        for bad in ["alice", "a@b", "a b@c.d", "a@b@c.d", "a@b.c\r\nX-Injected: 1"] {
            assert!(email(Some(bad.into())).is_err(), "{bad}");
        }
        assert_eq!(groups("admins, dev,,").unwrap(), ["admins", "dev"]);
        assert!(groups("ad mins").is_err());
        assert!(groups("").unwrap().is_empty());
        assert!(group_names(&["wiki-users".into(), "a.b_c".into()]).is_ok());
        for bad in ["", "a,b", "a b", &"x".repeat(65)] {
            assert!(group_names(&[bad.to_owned()]).is_err(), "{bad:?}");
        }
    }
}
