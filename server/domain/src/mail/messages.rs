//! The words of every message. Plain text: each says what happened, when, from which address and
//! browser, and what to do if it was not the reader. A link is the only secret a message may
//! carry (a reset or verification link); notices carry none.

use super::{Outgoing, Requester};
use crate::{storage::security_log::Event, user_agent};

/// What a notice says happened, for the events whose owner is told by mail; `None` for the
/// others. `key_name`: the key, passkey or app the event was about.
pub fn notice_words(event: Event, key_name: Option<&str>) -> Option<(String, String)> {
    let named = |what: &str| match key_name {
        Some(name) => format!("{what} \"{name}\""),
        None => what.to_owned(),
    };
    let (subject, what) = match event {
        Event::NewDeviceSignIn => (
            "New sign-in to your account",
            "Your password was used to sign in from a device that had not signed in to your account before.".to_owned(),
        ),
        Event::PasswordReset => (
            "Your password was changed",
            "Your password was changed with a reset link sent to this address.".to_owned(),
        ),
        Event::TwoFactorEnabled => {
            ("Two-factor authentication is on", "Two-factor authentication was turned on for your account.".to_owned())
        }
        Event::TwoFactorDisabled => (
            "Two-factor authentication is off",
            "Two-factor authentication was turned off for your account: a password alone now signs in.".to_owned(),
        ),
        Event::TwoFactorResetByOperator => (
            "Two-factor authentication is off",
            "An administrator turned two-factor authentication off for your account.".to_owned(),
        ),
        Event::RecoveryCodesRegenerated => (
            "New recovery codes",
            "New recovery codes were made for your account; the old ones no longer work.".to_owned(),
        ),
        Event::SecurityKeyAdded => {
            ("A security key was added", format!("{} was added to your account.", named("The security key or passkey")))
        }
        Event::SecurityKeyRemoved => (
            "A security key was removed",
            format!("{} was removed from your account.", named("The security key or passkey")),
        ),
        _ => return None,
    };
    Some((subject.to_owned(), what))
}

/// "2026-12-07 10:30 UTC".
pub fn when(at: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "an unknown time".to_owned())
}

fn origin(requester: &Requester<'_>) -> String {
    let browser = user_agent::describe(requester.user_agent);
    match requester.address {
        Some(address) => format!("{browser}, from the address {address}"),
        None => browser,
    }
}

const NOT_YOU: &str = "If this was not you, sign in and change your password at once, check your \
two-factor settings and your sessions, and tell your administrator. If you cannot sign in, ask \
your administrator for help.";

/// A notice of an event on the account (see `notice_words`).
pub fn notice(
    to: &str,
    username: &str,
    (subject, what): (String, String),
    at: i64,
    requester: &Requester<'_>,
    portal: &str,
) -> Outgoing {
    let body = format!(
        "Hello {username},\n\n{what}\n\nWhen: {when}\nFrom: {origin}\n\nIf this was you, there is nothing to do.\n\n{NOT_YOU}\n\n{portal}/account\n",
        when = when(at),
        origin = origin(requester),
    );
    Outgoing { to: to.to_owned(), subject, body }
}

/// To the old address, when the account's address changes.
pub fn email_changed(to: &str, username: &str, at: i64, requester: &Requester<'_>, portal: &str) -> Outgoing {
    let body = format!(
        "Hello {username},\n\nThe email address of your account was changed: mail about it no longer comes to this address.\n\nWhen: {when}\nFrom: {origin}\n\nIf this was you, there is nothing to do.\n\n{NOT_YOU}\n\n{portal}/account/profile\n",
        when = when(at),
        origin = origin(requester),
    );
    Outgoing { to: to.to_owned(), subject: "Your email address was changed".to_owned(), body }
}

/// The link that verifies an address.
pub fn verify_address(to: &str, username: &str, link: &str, at: i64, requester: &Requester<'_>) -> Outgoing {
    let body = format!(
        "Hello {username},\n\nTo confirm that this address is yours, open this link while signed in to your account, within 30 minutes:\n\n{link}\n\nRequested: {when}\nFrom: {origin}\n\nIf you did not ask for this, ignore this message: the address counts for no account unless this link is opened, signed in to the account that asked for it.\n",
        when = when(at),
        origin = origin(requester),
    );
    Outgoing { to: to.to_owned(), subject: "Confirm your email address".to_owned(), body }
}

/// The link that lets the owner choose a new password.
pub fn password_reset(to: &str, username: &str, link: &str, at: i64, requester: &Requester<'_>) -> Outgoing {
    let body = format!(
        "Hello {username},\n\nSomeone asked to reset the password of your account. To choose a new password, open this link within 30 minutes. It works once. If two-factor authentication is on, you will be asked for a code (or a security key or a recovery code) as well: the link alone changes nothing.\n\n{link}\n\nRequested: {when}\nFrom: {origin}\n\nIf this was not you, ignore this message: your password stays as it is. If it keeps happening, tell your administrator.\n",
        when = when(at),
        origin = origin(requester),
    );
    Outgoing { to: to.to_owned(), subject: "Reset your password".to_owned(), body }
}

/// An invitation link sent by the console instead of shown.
pub fn invitation(to: &str, link: &str, valid_until: i64, invited_by: &str) -> Outgoing {
    let body = format!(
        "Hello,\n\n{invited_by} invites you to create an account. Open this link to choose a username and a password:\n\n{link}\n\nThe link works once, until {until}.\n\nIf you did not expect this, ignore this message.\n",
        until = when(valid_until),
    );
    Outgoing { to: to.to_owned(), subject: "You are invited to create an account".to_owned(), body }
}

/// `server mail test ADDRESS`.
pub fn test_message(to: &str, at: i64, portal: &str) -> Outgoing {
    let body = format!(
        "This is a test message from the sign-in service at {portal}, sent at {when}.\n\nMail works: nothing else to do.\n",
        when = when(at),
    );
    Outgoing { to: to.to_owned(), subject: "Test message from the sign-in service".to_owned(), body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_says_what_when_where_and_what_to_do() {
        let requester = Requester {
            address: Some("192.0.2.7"),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        };
        for event in Event::ALL {
            let Some(words) = notice_words(event, Some("Yubikey")) else { continue };
            let mail = notice("a@example.com", "alice", words, 1_796_639_400, &requester, "https://auth.example.com");
            assert!(mail.body.contains("2026-12-07"), "{event:?}: {}", mail.body);
            assert!(mail.body.contains("192.0.2.7") && mail.body.contains("Firefox on Linux"), "{event:?}");
            assert!(mail.body.contains("If this was not you"), "{event:?}");
        }
    }

    #[test]
    fn the_events_that_are_mailed_are_the_ones_the_contract_lists() {
        let mailed: Vec<Event> = Event::ALL.into_iter().filter(|e| notice_words(*e, None).is_some()).collect();
        assert_eq!(
            mailed,
            [
                Event::TwoFactorEnabled,
                Event::TwoFactorDisabled,
                Event::RecoveryCodesRegenerated,
                Event::TwoFactorResetByOperator,
                Event::SecurityKeyAdded,
                Event::SecurityKeyRemoved,
                Event::NewDeviceSignIn,
                Event::PasswordReset,
            ]
        );
    }
}
