//! The sign-in flows at the domain's level, as tables of cases: the password step, the code step
//! (time steps, single use, leading zeros, the pending sign-in's five minutes), the throttle and
//! the lock on wrong codes, recovery codes, registration, and the security-key steps that can be
//! driven without a browser. Manual clock, in-memory SQLite, codes from the independent oracle.

// `clippy.toml` allows unwrap and expect in `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use domain::{
    clock::Clock,
    flows::{security_keys, session::PENDING_SECOND_FACTOR_SECONDS, sign_in},
    storage::throttle::{delay_after, SECOND_FACTOR_FREE_FAILURES},
    AuthError, Services,
};
use support::Stage;
use support::{error_name, MemorySession, TwoFactorAccount, PASSWORD, START, STEP};

/// "signed in", "second factor", or the error's name.
fn outcome_of<T>(result: &Result<T, AuthError>, success: &str) -> String {
    match result {
        Ok(_) => success.to_owned(),
        Err(e) => error_name(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The password step
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_password_step_signs_in_asks_for_the_code_or_refuses_alike() {
    struct Case {
        name: &'static str,
        username: Option<&'static str>,
        password: Option<&'static str>,
        expect: &'static str,
    }
    let long_password: &'static str = Box::leak("p".repeat(257).into_boxed_str());
    let cases = [
        Case {
            name: "right password, 2FA off",
            username: Some("alice"),
            password: Some(PASSWORD),
            expect: "signed in",
        },
        Case {
            name: "right password, 2FA on",
            username: Some("bob"),
            password: Some(PASSWORD),
            expect: "second factor",
        },
        Case {
            name: "the name typed in capitals",
            username: Some("ALICE"),
            password: Some(PASSWORD),
            expect: "signed in",
        },
        Case {
            name: "wrong password",
            username: Some("alice"),
            password: Some("wrong horse battery staple"),
            expect: "InvalidCredentials",
        },
        Case {
            name: "wrong password, 2FA on",
            username: Some("bob"),
            password: Some("wrong horse battery staple"),
            expect: "InvalidCredentials",
        },
        Case {
            name: "the password in another case",
            username: Some("alice"),
            password: Some("CORRECT HORSE BATTERY STAPLE"),
            expect: "InvalidCredentials",
        },
        Case {
            name: "the password with a trailing space",
            username: Some("alice"),
            password: Some("correct horse battery staple "),
            expect: "InvalidCredentials",
        },
        Case {
            name: "unknown user",
            username: Some("mallory"),
            password: Some(PASSWORD),
            expect: "InvalidCredentials",
        },
        Case {
            name: "a name no account can have",
            username: Some("no such user!"),
            password: Some(PASSWORD),
            expect: "InvalidCredentials",
        },
        Case { name: "no username", username: None, password: Some(PASSWORD), expect: "BadInput" },
        Case { name: "empty username", username: Some(""), password: Some(PASSWORD), expect: "BadInput" },
        Case { name: "no password", username: Some("alice"), password: None, expect: "BadInput" },
        Case {
            name: "a password over 256 characters",
            username: Some("alice"),
            password: Some(long_password),
            expect: "BadInput",
        },
        Case {
            name: "a control character in the name",
            username: Some("ali\u{0}ce"),
            password: Some(PASSWORD),
            expect: "BadInput",
        },
    ];

    let services = support::services(Clock::manual(START)).await;
    let (alice, _) = support::register(&services, "alice").await;
    let bob = support::register_with_two_factor(&services, "bob").await;
    let mut messages = Vec::new();
    for case in &cases {
        let session = MemorySession::new();
        let result = sign_in::password_step(
            &services,
            &session,
            case.username.map(str::to_owned),
            case.password.map(str::to_owned),
        )
        .await;
        let got = match &result {
            Ok(outcome) if outcome.second_factor => "second factor".to_owned(),
            other => outcome_of(other, "signed in"),
        };
        assert_eq!(got, case.expect, "case: {}", case.name);
        let stage = support::stage(&services, &session).await;
        match case.expect {
            "signed in" => {
                assert!(matches!(stage, Stage::SignedIn { user_id, .. } if user_id == alice), "case: {}", case.name);
                assert!(session.id() > 0, "case {}: the session id was not renewed", case.name);
            }
            "second factor" => {
                assert!(
                    matches!(stage, Stage::PendingSecondFactor { user_id, .. } if user_id == bob.id),
                    "case: {}",
                    case.name
                );
                assert!(session.id() > 0, "case {}: the session id was not renewed", case.name);
            }
            _ => assert_eq!(stage, Stage::Anonymous, "case {}: a refused password left the session at", case.name),
        }
        if let Err(AuthError::InvalidCredentials) = &result {
            messages.push((case.name, result.err().map(|e| e.to_string())));
        }
    }
    // An unknown user and a wrong password get the very same answer (no enumeration).
    let first = &messages[0].1;
    for (name, message) in &messages {
        assert_eq!(message, first, "case {name}: another answer than a wrong password's");
    }
}

#[tokio::test]
async fn password_guesses_wait_after_ten_failures_of_one_name_known_or_not() {
    struct Case {
        name: &'static str,
        username: &'static str,
        wrong_guesses: usize,
        wait_after: i64,
        expect: &'static str,
    }
    let cases = [
        Case { name: "9 wrong, then right", username: "alice", wrong_guesses: 9, wait_after: 0, expect: "signed in" },
        Case {
            name: "10 wrong, then right at once",
            username: "alice",
            wrong_guesses: 10,
            wait_after: 0,
            expect: "Throttled(30s)",
        },
        Case {
            name: "10 wrong, then right 29 s later",
            username: "alice",
            wrong_guesses: 10,
            wait_after: 29,
            expect: "Throttled(1s)",
        },
        Case {
            name: "10 wrong, then right 30 s later",
            username: "alice",
            wrong_guesses: 10,
            wait_after: 30,
            expect: "signed in",
        },
        Case {
            name: "10 wrong guesses at an unknown name, then one more",
            username: "nobody",
            wrong_guesses: 10,
            wait_after: 0,
            expect: "Throttled(30s)",
        },
        Case {
            name: "10 wrong guesses at the name in capitals, then right",
            username: "ALICE",
            wrong_guesses: 10,
            wait_after: 0,
            expect: "Throttled(30s)",
        },
        Case {
            name: "10 wrong, then right a day later",
            username: "alice",
            wrong_guesses: 10,
            wait_after: 24 * 3600 + 1,
            expect: "signed in",
        },
    ];
    for case in &cases {
        let services = support::services(Clock::manual(START)).await;
        support::register(&services, "alice").await;
        let session = MemorySession::new();
        for guess in 0..case.wrong_guesses {
            let refused = support::password_step(&services, &session, case.username, "not the password").await;
            assert_eq!(outcome_of(&refused, "signed in"), "InvalidCredentials", "case {}: guess {guess}", case.name);
        }
        services.clock.advance(case.wait_after);
        let password = if case.username.eq_ignore_ascii_case("alice") { PASSWORD } else { "not the password" };
        let result = support::password_step(&services, &session, case.username, password).await;
        assert_eq!(outcome_of(&result, "signed in"), case.expect, "case: {}", case.name);
    }
}

// ---------------------------------------------------------------------------------------------
// The code step
// ---------------------------------------------------------------------------------------------

/// What was typed at the code step.
#[derive(Clone, Copy)]
enum Typed {
    /// The code of the time step this many steps from now.
    StepsFromNow(i64),
    /// The current code, grouped as people paste it ("123 456").
    WithSpace,
    /// A code that starts with 0 (the clock is set to a step that has one), as text.
    LeadingZero,
    /// That code without its leading zero (five digits).
    LeadingZeroDropped,
    /// A code of none of the steps near now.
    Wrong,
    Text(&'static str),
    Nothing,
}

/// What happened before the code step.
#[derive(Clone, Copy)]
enum Before {
    /// The password step, in this session.
    PasswordStep,
    /// No password step at all.
    NoPasswordStep,
    /// The same code (of the current step) already signed in another session.
    SameCodeUsedElsewhere,
    /// The next step's code already signed in another session.
    NextStepsCodeUsedElsewhere,
}

struct CodeCase {
    name: &'static str,
    before: Before,
    /// Seconds between the password step and the code.
    wait: i64,
    typed: Typed,
    expect: &'static str,
}

fn code_case(name: &'static str, typed: Typed, expect: &'static str) -> CodeCase {
    CodeCase { name, before: Before::PasswordStep, wait: 0, typed, expect }
}

#[tokio::test]
async fn a_code_is_accepted_once_within_one_step_either_side_and_refused_otherwise() {
    let cases = [
        code_case("the current step's code", Typed::StepsFromNow(0), "signed in"),
        code_case("the previous step's code", Typed::StepsFromNow(-1), "signed in"),
        code_case("the next step's code", Typed::StepsFromNow(1), "signed in"),
        code_case("two steps behind: the phone's clock is off", Typed::StepsFromNow(-2), "CodeRejectedClockOff(1 min)"),
        code_case("five steps behind", Typed::StepsFromNow(-5), "CodeRejectedClockOff(3 min)"),
        code_case("21 steps behind, the last one hinted", Typed::StepsFromNow(-21), "CodeRejectedClockOff(11 min)"),
        code_case("22 steps behind: nothing near", Typed::StepsFromNow(-22), "CodeRejected"),
        code_case("two steps ahead: never hinted", Typed::StepsFromNow(2), "CodeRejected"),
        code_case("a wrong code", Typed::Wrong, "CodeRejected"),
        code_case("the code grouped with a space", Typed::WithSpace, "signed in"),
        code_case("a code with a leading zero, kept as text", Typed::LeadingZero, "signed in"),
        code_case("that code without its leading zero", Typed::LeadingZeroDropped, "BadInput"),
        code_case("letters", Typed::Text("12a456"), "BadInput"),
        code_case("eight digits for a six-digit key", Typed::Text("12345678"), "BadInput"),
        code_case("seven digits", Typed::Text("1234567"), "BadInput"),
        code_case("nothing typed", Typed::Nothing, "BadInput"),
        CodeCase {
            name: "the same code, already used in another session",
            before: Before::SameCodeUsedElsewhere,
            wait: 0,
            typed: Typed::StepsFromNow(0),
            expect: "CodeRejected",
        },
        CodeCase {
            name: "the current code after the next step's was used",
            before: Before::NextStepsCodeUsedElsewhere,
            wait: 0,
            typed: Typed::StepsFromNow(0),
            expect: "CodeRejected",
        },
        CodeCase {
            name: "no password step first",
            before: Before::NoPasswordStep,
            wait: 0,
            typed: Typed::StepsFromNow(0),
            expect: "NoPendingSignIn",
        },
        CodeCase {
            name: "a second before the pending sign-in's 5 minutes end",
            before: Before::PasswordStep,
            wait: PENDING_SECOND_FACTOR_SECONDS - 1,
            typed: Typed::StepsFromNow(0),
            expect: "signed in",
        },
        CodeCase {
            name: "the pending sign-in's 5 minutes are over",
            before: Before::PasswordStep,
            wait: PENDING_SECOND_FACTOR_SECONDS,
            typed: Typed::StepsFromNow(0),
            expect: "NoPendingSignIn",
        },
    ];
    for case in &cases {
        let services = support::services(Clock::manual(START)).await;
        let bob = support::register_with_two_factor(&services, "bob").await;
        if matches!(case.typed, Typed::LeadingZero | Typed::LeadingZeroDropped) {
            services.clock.set(support::time_of_code_with_leading_zero(&bob.secret, services.now()));
        }
        match case.before {
            Before::PasswordStep | Before::NoPasswordStep => {}
            Before::SameCodeUsedElsewhere => {
                support::signed_in_with_code(&services, &bob).await;
            }
            Before::NextStepsCodeUsedElsewhere => {
                let other = support::after_password(&services, "bob").await;
                let next = support::code_at(&bob.secret, services.now() + STEP);
                sign_in::code_step(&services, &other, Some(next)).await.unwrap();
            }
        }
        let session = MemorySession::new();
        if !matches!(case.before, Before::NoPasswordStep) {
            support::password_step(&services, &session, "bob", PASSWORD).await.unwrap();
        }
        services.clock.advance(case.wait);
        let now = services.now();
        let typed = match case.typed {
            Typed::StepsFromNow(steps) => Some(support::code_at(&bob.secret, now + steps * STEP)),
            Typed::WithSpace => {
                let code = bob.code_now(&services);
                Some(format!("{} {}", &code[..3], &code[3..]))
            }
            Typed::LeadingZero => Some(bob.code_now(&services)),
            Typed::LeadingZeroDropped => Some(bob.code_now(&services)[1..].to_owned()),
            Typed::Wrong => Some(support::wrong_code(&bob.secret, now)),
            Typed::Text(text) => Some(text.to_owned()),
            Typed::Nothing => None,
        };
        if matches!(case.typed, Typed::LeadingZero) {
            assert!(typed.as_deref().is_some_and(|code| code.starts_with('0')), "case {}: no leading zero", case.name);
        }
        let before = session.id();
        let result = sign_in::code_step(&services, &session, typed).await;
        assert_eq!(outcome_of(&result, "signed in"), case.expect, "case: {}", case.name);
        let stage = support::stage(&services, &session).await;
        match (case.expect, case.before) {
            ("signed in", _) => {
                assert!(matches!(stage, Stage::SignedIn { user_id, .. } if user_id == bob.id), "case: {}", case.name);
                assert!(session.id() > before, "case {}: the session id was not renewed", case.name);
            }
            (_, Before::NoPasswordStep) => assert_eq!(stage, Stage::Anonymous, "case: {}", case.name),
            ("NoPendingSignIn", _) => assert_eq!(stage, Stage::PendingExpired, "case: {}", case.name),
            // A refused code leaves the password step waiting (for its five minutes).
            _ => assert!(
                matches!(stage, Stage::PendingSecondFactor { .. }),
                "case {}: the session is at {stage:?}",
                case.name
            ),
        }
    }
}

/// A new password step in `session` when its pending sign-in has expired (or never was).
async fn keep_pending(services: &Services, session: &mut MemorySession, name: &str) {
    if !matches!(support::stage(services, session).await, Stage::PendingSecondFactor { .. }) {
        *session = support::after_password(services, name).await;
    }
}

/// `count` wrong codes in a row, each answered `CodeRejected`; with `wait_out`, each waits out
/// the delay the failures before it earned (new password steps as pending sign-ins expire).
async fn wrong_codes(
    services: &Services,
    session: &mut MemorySession,
    bob: &TwoFactorAccount,
    count: i64,
    wait_out: bool,
) {
    for failures in 0..count {
        if wait_out {
            services.clock.advance(delay_after(failures, SECOND_FACTOR_FREE_FAILURES));
        }
        keep_pending(services, session, &bob.name).await;
        let wrong = support::wrong_code(&bob.secret, services.now());
        let result = sign_in::code_step(services, session, Some(wrong)).await;
        assert_eq!(outcome_of(&result, "signed in"), "CodeRejected", "wrong code number {}", failures + 1);
    }
}

#[tokio::test]
async fn wrong_codes_are_free_four_times_then_wait_doubling_then_lock_until_a_recovery_code() {
    #[derive(Clone, Copy)]
    enum Then {
        Right,
        Wrong,
        Recovery,
        /// A recovery code, then (in a new sign-in, a step later) the app's code again.
        RecoveryThenRight,
    }
    struct Case {
        name: &'static str,
        wrong: i64,
        /// Each wrong code waits out the delay earned before it.
        wait_out: bool,
        wait_after: i64,
        then: Then,
        expect: &'static str,
    }
    let case =
        |name, wrong, wait_out, wait_after, then, expect| Case { name, wrong, wait_out, wait_after, then, expect };
    let cases = [
        case("4 wrong, then right", 4, false, 0, Then::Right, "signed in"),
        case("5 wrong, then right at once", 5, false, 0, Then::Right, "Throttled(30s)"),
        case("5 wrong, then wrong at once", 5, false, 0, Then::Wrong, "Throttled(30s)"),
        case("5 wrong, then right 30 s later", 5, false, 30, Then::Right, "signed in"),
        case("6 wrong, the delay waited out, then right at once", 6, true, 0, Then::Right, "Throttled(60s)"),
        case("7 wrong, then right 2 minutes later", 7, true, 120, Then::Right, "signed in"),
        case("19 wrong, then right 15 minutes later", 19, true, 900, Then::Right, "signed in"),
        case("20 wrong: locked, even for the right code", 20, true, 900, Then::Right, "SecondFactorLocked"),
        case("20 wrong: locked an hour later too", 20, true, 3600, Then::Right, "SecondFactorLocked"),
        case("20 wrong, then a recovery code at once", 20, true, 0, Then::Recovery, "Throttled(900s)"),
        case("20 wrong, then a recovery code 15 minutes later", 20, true, 900, Then::Recovery, "signed in"),
        case("20 wrong, a recovery code lifts the lock on codes", 20, true, 900, Then::RecoveryThenRight, "signed in"),
    ];
    for case in &cases {
        let services = support::services(Clock::manual(START)).await;
        let bob = support::register_with_two_factor(&services, "bob").await;
        let mut session = MemorySession::new();
        wrong_codes(&services, &mut session, &bob, case.wrong, case.wait_out).await;
        services.clock.advance(case.wait_after);
        keep_pending(&services, &mut session, "bob").await;
        let now = services.now();
        let result = match case.then {
            Then::Right => sign_in::code_step(&services, &session, Some(bob.code_now(&services))).await,
            Then::Wrong => sign_in::code_step(&services, &session, Some(support::wrong_code(&bob.secret, now))).await,
            Then::Recovery => sign_in::recovery_step(&services, &session, Some(bob.recovery_codes[0].clone())).await,
            Then::RecoveryThenRight => {
                sign_in::recovery_step(&services, &session, Some(bob.recovery_codes[0].clone())).await.unwrap();
                services.clock.advance(STEP);
                let again = support::after_password(&services, "bob").await;
                sign_in::code_step(&services, &again, Some(bob.code_now(&services))).await
            }
        };
        assert_eq!(outcome_of(&result, "signed in"), case.expect, "case: {}", case.name);
    }
}

// ---------------------------------------------------------------------------------------------
// Recovery codes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_is_refused_after() {
    #[derive(Clone, Copy)]
    enum Typed {
        /// The account's n-th code, as shown.
        Shown(usize),
        /// The n-th code in capitals, without its dash.
        Capitals(usize),
        /// The n-th code with spaces around and in it.
        Spaced(usize),
        /// The n-th code of another account.
        OtherAccounts(usize),
        Text(&'static str),
        Nothing,
    }
    #[derive(Clone, Copy)]
    enum Before {
        PasswordStep,
        NoPasswordStep,
        /// The first code signed in another session.
        FirstCodeUsed,
    }
    struct Case {
        name: &'static str,
        before: Before,
        typed: Typed,
        expect: &'static str,
    }
    let case = |name, before, typed, expect| Case { name, before, typed, expect };
    let cases = [
        case("a code as shown", Before::PasswordStep, Typed::Shown(0), "signed in"),
        case("in capitals, without the dash", Before::PasswordStep, Typed::Capitals(3), "signed in"),
        case("with spaces", Before::PasswordStep, Typed::Spaced(9), "signed in"),
        case("a code used once already", Before::FirstCodeUsed, Typed::Shown(0), "RecoveryCodeRejected"),
        case("another code after one was used", Before::FirstCodeUsed, Typed::Shown(1), "signed in"),
        case("another account's code", Before::PasswordStep, Typed::OtherAccounts(0), "RecoveryCodeRejected"),
        case("a made-up code", Before::PasswordStep, Typed::Text("abcde-fghjk"), "RecoveryCodeRejected"),
        case("not a recovery code's shape", Before::PasswordStep, Typed::Text("abc"), "RecoveryCodeRejected"),
        case(
            "letters no code has (i, l, o, u)",
            Before::PasswordStep,
            Typed::Text("iloui-iloui"),
            "RecoveryCodeRejected",
        ),
        case("nothing typed", Before::PasswordStep, Typed::Nothing, "RecoveryCodeRejected"),
        case("longer than any recovery code", Before::PasswordStep, Typed::Text("abcde-fghjk-mnpqr"), "BadInput"),
        case("no password step first", Before::NoPasswordStep, Typed::Shown(0), "NoPendingSignIn"),
    ];
    for case in &cases {
        let services = support::services(Clock::manual(START)).await;
        let bob = support::register_with_two_factor(&services, "bob").await;
        // Made before bob's password step: turning 2FA on moves the clock five minutes.
        let carol = match case.typed {
            Typed::OtherAccounts(_) => Some(support::register_with_two_factor(&services, "carol").await),
            _ => None,
        };
        if let Before::FirstCodeUsed = case.before {
            let other = support::after_password(&services, "bob").await;
            sign_in::recovery_step(&services, &other, Some(bob.recovery_codes[0].clone())).await.unwrap();
        }
        let session = MemorySession::new();
        if !matches!(case.before, Before::NoPasswordStep) {
            support::password_step(&services, &session, "bob", PASSWORD).await.unwrap();
        }
        let typed = match case.typed {
            Typed::Shown(n) => Some(bob.recovery_codes[n].clone()),
            Typed::Capitals(n) => Some(bob.recovery_codes[n].replace('-', "").to_uppercase()),
            Typed::Spaced(n) => Some(format!("  {}  ", bob.recovery_codes[n].replace('-', " "))),
            Typed::OtherAccounts(n) => carol.as_ref().map(|carol| carol.recovery_codes[n].clone()),
            Typed::Text(text) => Some(text.to_owned()),
            Typed::Nothing => None,
        };
        let result = sign_in::recovery_step(&services, &session, typed).await;
        assert_eq!(outcome_of(&result, "signed in"), case.expect, "case: {}", case.name);
        if case.expect == "signed in" {
            let stage = support::stage(&services, &session).await;
            assert!(matches!(stage, Stage::SignedIn { user_id, .. } if user_id == bob.id), "case: {}", case.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn registration_signs_a_new_account_in_and_refuses_taken_names_bad_input_and_floods() {
    struct Case {
        name: &'static str,
        open: bool,
        /// Accounts registered before, from an address each.
        before: &'static [(&'static str, &'static str)],
        wait: i64,
        username: Option<&'static str>,
        password: Option<&'static str>,
        address: &'static str,
        expect: &'static str,
    }
    const A: &str = "198.51.100.7";
    const B: &str = "203.0.113.9";
    const THREE_FROM_A: &[(&str, &str)] = &[("one", A), ("two", A), ("three", A)];
    let case = |name, username, password, expect| Case {
        name,
        open: true,
        before: &[("taken", B)],
        wait: 0,
        username,
        password,
        address: A,
        expect,
    };
    let cases = [
        case("a new name", Some("alice"), Some(PASSWORD), "signed in as alice"),
        case("the case is kept for display", Some("Alice.Smith"), Some(PASSWORD), "signed in as Alice.Smith"),
        case("a taken name", Some("taken"), Some(PASSWORD), "UsernameTaken"),
        case("a taken name in capitals", Some("TAKEN"), Some(PASSWORD), "UsernameTaken"),
        case("a name of two characters", Some("ab"), Some(PASSWORD), "BadInput"),
        case("a name of 33 characters", Some("a23456789012345678901234567890123"), Some(PASSWORD), "BadInput"),
        case("a space in the name", Some("al ice"), Some(PASSWORD), "BadInput"),
        case("no name", None, Some(PASSWORD), "BadInput"),
        case("a password of 7 characters", Some("alice"), Some("1234567"), "BadInput"),
        case("a password of 8 characters", Some("alice"), Some("12345678"), "signed in as alice"),
        case("no password", Some("alice"), None, "BadInput"),
        Case { open: false, ..case("registration closed", Some("alice"), Some(PASSWORD), "RegistrationClosed") },
        Case {
            before: THREE_FROM_A,
            ..case(
                "a fourth account from one address within the hour",
                Some("four"),
                Some(PASSWORD),
                "Throttled(3600s)",
            )
        },
        Case {
            before: THREE_FROM_A,
            wait: 3600,
            ..case("a fourth account from one address an hour later", Some("four"), Some(PASSWORD), "signed in as four")
        },
        Case {
            before: THREE_FROM_A,
            address: B,
            ..case("a fourth account from another address", Some("four"), Some(PASSWORD), "signed in as four")
        },
        Case {
            before: &[("one", A), ("two", A)],
            ..case("a taken name does not count against the address", Some("one"), Some(PASSWORD), "UsernameTaken")
        },
    ];
    for case in &cases {
        let mut services = support::services(Clock::manual(START)).await;
        services.settings.registrations_per_address_per_hour = 3;
        for (name, address) in case.before {
            let session = MemorySession::from_address(address);
            domain::flows::registration::register(&services, &session, Some((*name).into()), Some(PASSWORD.into()))
                .await
                .unwrap();
        }
        services.settings.registration_open = case.open;
        services.clock.advance(case.wait);
        let session = MemorySession::from_address(case.address);
        let result = domain::flows::registration::register(
            &services,
            &session,
            case.username.map(str::to_owned),
            case.password.map(str::to_owned),
        )
        .await;
        let got = match &result {
            Ok(shown) => format!("signed in as {shown}"),
            Err(e) => error_name(e),
        };
        assert_eq!(got, case.expect, "case: {}", case.name);
        let stage = support::stage(&services, &session).await;
        assert_eq!(
            matches!(stage, Stage::SignedIn { .. }),
            result.is_ok(),
            "case {}: the session is at {stage:?}",
            case.name
        );
        if case.name == "a taken name does not count against the address" {
            // The third account from A is still allowed.
            let third = MemorySession::from_address(A);
            let result =
                domain::flows::registration::register(&services, &third, Some("three".into()), Some(PASSWORD.into()))
                    .await;
            assert_eq!(outcome_of(&result, "signed in"), "signed in", "case: {}", case.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Security keys
// ---------------------------------------------------------------------------------------------

/// A key's answer to a sign-in challenge, well-formed but signed by no key.
const UNSIGNED_ASSERTION: &str = r#"{"id":"AAEC","rawId":"AAEC","type":"public-key","response":{"authenticatorData":"AAEC","clientDataJSON":"e30","signature":"AAEC","userHandle":null}}"#;
/// A key's answer to a registration challenge, well-formed but made by no key.
const UNMADE_ATTESTATION: &str =
    r#"{"id":"AAEC","rawId":"AAEC","type":"public-key","response":{"attestationObject":"oA","clientDataJSON":"e30"}}"#;

/// Completing a WebAuthn ceremony needs an authenticator (a browser and a key, or a software
/// authenticator this crate does not have), so an account cannot be given a key here and no
/// answer can be right. What can be driven without one is tested: who may ask for a challenge,
/// the challenge itself, and the refusal (and single use) of answers no key made.
#[tokio::test]
async fn security_key_steps_refuse_what_no_key_answered() {
    #[derive(Clone, Copy, PartialEq)]
    enum Who {
        Anonymous,
        /// After the password step of a 2FA account (with a code, no key).
        Pending,
        /// Signed in with a code, just now.
        SignedIn,
        /// Signed in with a code, 11 minutes ago.
        SignedInLongAgo,
    }
    #[derive(Clone, Copy)]
    enum Step {
        StartSignIn,
        FinishSignIn(Option<&'static str>),
        StartAdding(Option<&'static str>),
        FinishAdding(Option<&'static str>),
        /// A challenge to add a key, then the same answer twice.
        StartAddingThenFinishTwice,
    }
    struct Case {
        name: &'static str,
        who: Who,
        step: Step,
        expect: &'static str,
    }
    let case = |name, who, step, expect| Case { name, who, step, expect };
    let cases = [
        case("a key step without a password step", Who::Anonymous, Step::StartSignIn, "NoPendingSignIn"),
        case("a key step for an account without keys", Who::Pending, Step::StartSignIn, "BadInput"),
        case(
            "an answer without a password step",
            Who::Anonymous,
            Step::FinishSignIn(Some(UNSIGNED_ASSERTION)),
            "NoPendingSignIn",
        ),
        case("no answer", Who::Pending, Step::FinishSignIn(None), "BadInput"),
        case("an answer that is not JSON", Who::Pending, Step::FinishSignIn(Some("not json")), "BadInput"),
        case(
            "an answer with no challenge asked",
            Who::Pending,
            Step::FinishSignIn(Some(UNSIGNED_ASSERTION)),
            "NoPendingSecurityKeyRequest",
        ),
        case("adding a key, signed in just now", Who::SignedIn, Step::StartAdding(Some("Blue key")), "a challenge"),
        case("adding a key without a name", Who::SignedIn, Step::StartAdding(Some("  ")), "BadInput"),
        case(
            "adding a key, signed in 11 minutes ago",
            Who::SignedInLongAgo,
            Step::StartAdding(Some("Blue key")),
            "ReauthenticationRequired",
        ),
        case("adding a key, password step only", Who::Pending, Step::StartAdding(Some("Blue key")), "NotSignedIn"),
        case("adding a key, anonymous", Who::Anonymous, Step::StartAdding(Some("Blue key")), "NotSignedIn"),
        case(
            "an answer to adding with no challenge",
            Who::SignedIn,
            Step::FinishAdding(Some(UNMADE_ATTESTATION)),
            "NoPendingSecurityKeyRequest",
        ),
        case(
            "an answer to adding that no key made",
            Who::SignedIn,
            Step::StartAddingThenFinishTwice,
            "SecurityKeyRejected, then NoPendingSecurityKeyRequest",
        ),
    ];
    for case in &cases {
        let services = support::services(Clock::manual(START)).await;
        let bob = support::register_with_two_factor(&services, "bob").await;
        let session = match case.who {
            Who::Anonymous => MemorySession::new(),
            Who::Pending => support::after_password(&services, "bob").await,
            Who::SignedIn | Who::SignedInLongAgo => support::signed_in_with_code(&services, &bob).await,
        };
        if case.who == Who::SignedInLongAgo {
            services.clock.advance(11 * 60);
        }
        let answer = |text: Option<&str>| text.map(str::to_owned);
        let got = match case.step {
            Step::StartSignIn => outcome_of(&security_keys::start_sign_in(&services, &session).await, "a challenge"),
            Step::FinishSignIn(text) => {
                outcome_of(&security_keys::finish_sign_in(&services, &session, answer(text)).await, "signed in")
            }
            Step::StartAdding(name) => {
                let result = security_keys::start_adding(&services, &session, answer(name)).await;
                if let Ok(challenge) = &result {
                    let options: serde_json::Value = serde_json::from_str(&challenge.options_json).unwrap();
                    assert_eq!(options["publicKey"]["rp"]["id"], "localhost", "case: {}", case.name);
                    assert!(options["publicKey"]["challenge"].is_string(), "case {}: {options}", case.name);
                }
                outcome_of(&result, "a challenge")
            }
            Step::FinishAdding(text) => {
                outcome_of(&security_keys::finish_adding(&services, &session, answer(text)).await, "added")
            }
            Step::StartAddingThenFinishTwice => {
                security_keys::start_adding(&services, &session, Some("Blue key".into())).await.unwrap();
                let first = security_keys::finish_adding(&services, &session, answer(Some(UNMADE_ATTESTATION))).await;
                let second = security_keys::finish_adding(&services, &session, answer(Some(UNMADE_ATTESTATION))).await;
                format!("{}, then {}", outcome_of(&first, "added"), outcome_of(&second, "added"))
            }
        };
        assert_eq!(got, case.expect, "case: {}", case.name);
        assert!(
            security_keys::keys_of(&services, bob.id).await.unwrap().is_empty(),
            "case {}: a key was added",
            case.name
        );
    }
}
