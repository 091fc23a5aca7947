//! Throttling and lockout (SECURITY.md, "Policy numbers"). Each test names the property it
//! guards; removing the property makes it fail.

use crate::helpers::{client, fresh_database_url, json, spawn_app, spawn_app_with, test_config};
use reqwest::StatusCode;

/// A code of the account's key, but ten steps away: wrong now.
fn wrong_code(app: &crate::helpers::TestApp, secret: &str) -> String {
    app.code(secret, 10)
}

async fn failures_in_db(app: &crate::helpers::TestApp, username: &str) -> i64 {
    sqlx::query_scalar("SELECT second_factor_failures FROM users WHERE username_key = $1")
        .bind(username)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// After 5 consecutive failures, 429 with Retry-After — even for the right code,
/// with the same answer.
#[tokio::test]
async fn five_wrong_codes_throttle_the_account_and_even_the_right_code_is_refused_alike() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let c = app.pending_client("alice", "correct horse").await;
    for attempt in 1..=5 {
        let (status, _) = json(app.submit_code(&c, &wrong_code(&app, &secret)).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let right = app.submit_code(&c, &app.code(&secret, 1)).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = right.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    // The answers may differ only by the seconds left (time passes between the two requests).
    let without_digits = |body: serde_json::Value| body.to_string().replace(|c: char| c.is_ascii_digit(), "");
    let right_body = without_digits(right.json().await.unwrap());
    let wrong = app.submit_code(&c, &wrong_code(&app, &secret)).await;
    assert_eq!(wrong.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(wrong.headers().contains_key("retry-after"));
    assert_eq!(without_digits(wrong.json().await.unwrap()), right_body, "no oracle");
}

/// The count is per account, not per session: new sessions do not reset it.
#[tokio::test]
async fn failures_count_across_sessions_and_only_a_success_resets_them() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    for _ in 0..5 {
        let fresh = app.pending_client("alice", "correct horse").await;
        assert_eq!(app.submit_code(&fresh, &wrong_code(&app, &secret)).await.status(), StatusCode::UNAUTHORIZED);
    }
    let fresh = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&fresh, &app.code(&secret, 1)).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(failures_in_db(&app, "alice").await, 5, "a new password step did not reset the count");
}

/// The delay grows, and after 20 failures codes are locked until a recovery code.
#[tokio::test]
async fn twenty_failures_lock_codes_until_a_recovery_code_is_used() {
    let app = spawn_app().await;
    let (secret, recovery) = app.user_with_two_factor("alice", "correct horse").await;
    // Arrange 19 failures whose delay has passed (waiting them out would take an hour).
    sqlx::query(
        "UPDATE users SET second_factor_failures = 19, second_factor_failed_at = 0 WHERE username_key = 'alice'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&c, &wrong_code(&app, &secret)).await.status(), StatusCode::UNAUTHORIZED);
    // The 20th failure locks: no delay passing unlocks it.
    sqlx::query("UPDATE users SET second_factor_failed_at = 0 WHERE username_key = 'alice'")
        .execute(&app.db)
        .await
        .unwrap();
    let locked = app.submit_code(&c, &app.code(&secret, 1)).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    assert!(locked.text().await.unwrap().contains("recovery code"));
    // A recovery code still works and lifts the lock.
    assert_eq!(app.submit_recovery_code(&c, &recovery[0]).await.status(), StatusCode::OK);
    assert_eq!(failures_in_db(&app, "alice").await, 0);
    let again = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&again, &app.code(&secret, 1)).await.status(), StatusCode::OK);
}

/// The delay doubles: after 6 failures the wait is up to 60 s.
#[tokio::test]
async fn the_delay_doubles_with_each_failure() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let now = app.clock.now();
    sqlx::query(
        "UPDATE users SET second_factor_failures = 6, second_factor_failed_at = $1 WHERE username_key = 'alice'",
    )
    .bind(now)
    .execute(&app.db)
    .await
    .unwrap();
    let c = app.pending_client("alice", "correct horse").await;
    let r = app.submit_code(&c, &wrong_code(&app, &secret)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((31..=60).contains(&retry_after), "{retry_after}");
}

/// Concurrent guesses cannot slip past the limit together (atomic reservation).
#[tokio::test]
async fn twenty_concurrent_wrong_codes_get_five_answers_and_fifteen_429s() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let c = app.pending_client("alice", "correct horse").await;
    let code = wrong_code(&app, &secret);
    let form = [("otp", code.as_str())];
    let attempts = (0..20).map(|_| app.post(&c, "login/2fa", &form));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 15, "{statuses:?}");
    assert_eq!(failures_in_db(&app, "alice").await, 5, "no lost update");
}

/// Wrong passwords for one username are throttled within 20 failures, with growing
/// delays and Retry-After; the right password waits too.
#[tokio::test]
async fn wrong_passwords_for_one_username_are_throttled() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let mut first_429 = None;
    for attempt in 1..=20 {
        let r = app.login(&client(), "alice", "wrong horse").await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            first_429 = Some(attempt);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(first_429.is_some(), "429 within 20 failures");
    let right = app.login(&client(), "alice", "correct horse").await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    // An unknown username is throttled exactly alike (no enumeration through throttling).
    for _ in 0..first_429.unwrap() - 1 {
        app.login(&client(), "nobody", "wrong horse").await;
    }
    let r = app.login(&client(), "nobody", "wrong horse").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// One address failing 100 times over many usernames within minutes is still served.
#[tokio::test]
async fn one_address_failing_across_many_usernames_is_still_served() {
    let app = spawn_app().await;
    let attempts = (0..100).map(|i| {
        let app = &app;
        async move {
            let name = format!("user{i}");
            app.login(&client(), name.as_str(), "wrong horse").await.status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
}

/// Throttling state lives in the database and survives a restart.
#[tokio::test]
async fn throttling_survives_a_restart() {
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    let secret = {
        let app = spawn_app_with(test_config(url.clone())).await;
        let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
        let c = app.pending_client("alice", "correct horse").await;
        for _ in 0..5 {
            app.submit_code(&c, &wrong_code(&app, &secret)).await;
        }
        secret
    };
    let app = spawn_app_with(test_config(url)).await;
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&c, &app.code(&secret, 1)).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Recovery codes are throttled like codes.
#[tokio::test]
async fn recovery_code_guesses_are_throttled_too() {
    let app = spawn_app().await;
    let (_, recovery) = app.user_with_two_factor("alice", "correct horse").await;
    let c = app.pending_client("alice", "correct horse").await;
    for _ in 0..5 {
        assert_eq!(app.submit_recovery_code(&c, "zzzzz-zzzzz").await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app.submit_recovery_code(&c, &recovery[0]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

/// Over-long fields are 400, not hashed or stored.
#[tokio::test]
async fn over_long_fields_are_400() {
    let app = spawn_app().await;
    let long = "a".repeat(300);
    for (endpoint, form) in [
        ("login", vec![("username", long.as_str()), ("password", "x")]),
        ("login", vec![("username", "alice"), ("password", long.as_str())]),
        ("register", vec![("username", "alice"), ("password", long.as_str())]),
        ("register", vec![("username", long.as_str()), ("password", "long enough")]),
    ] {
        assert_eq!(json(app.post(&client(), endpoint, &form).await).await.0, StatusCode::BAD_REQUEST, "{endpoint}");
    }
}

/// An unknown user and a wrong password take the same time, within noise (both
/// verify an Argon2 hash).
#[tokio::test]
async fn unknown_users_and_wrong_passwords_take_the_same_time() {
    let app = spawn_app().await;
    for i in 0..6 {
        app.register(&client(), &format!("known{i}"), "correct horse").await;
    }
    async fn time(app: &crate::helpers::TestApp, name: String) -> std::time::Duration {
        let start = std::time::Instant::now();
        let r = app.login(&client(), name.as_str(), "wrong horse").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        start.elapsed()
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..6 {
        known.push(time(&app, format!("known{i}")).await);
        unknown.push(time(&app, format!("unknown{i}")).await);
    }
    known.sort();
    unknown.sort();
    // Medians, with room for the noise of a busy machine running other tests at once; an unknown
    // user answered without the dummy hash falls far outside these bounds.
    let (k, u) = (known[3].as_secs_f64(), unknown[3].as_secs_f64());
    assert!(u > k * 0.3 && u < k * 3.3, "median wrong password {k:.3}s, unknown user {u:.3}s");
}

/// Every page has the Content-Security-Policy with a nonce, WASM allowed, no framing.
#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/register", "/no-such-page"] {
        let r = client().get(app.url(path)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let html = r.text().await.unwrap();
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{path}: the hydration script carries the nonce");
        for part in ["'wasm-unsafe-eval'", "frame-ancestors 'none'", "default-src 'self'", "object-src 'none'"] {
            assert!(csp.contains(part), "{path}: {part} missing in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
    let api = app.me(&client()).await;
    assert_eq!(api.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
}

/// One address is throttled once it passes its window's limit (arranged in the
/// database: 300 failures would take a while).
#[tokio::test]
async fn an_address_past_its_limit_is_throttled_for_every_username() {
    let app = spawn_app().await;
    let now = app.clock.now();
    sqlx::query(
        "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ('addr:127.0.0.1', 300, $1)",
    )
    .bind(now - 10)
    .execute(&app.db)
    .await
    .unwrap();
    let r = app.login(&client(), "someone", "wrong horse").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((280..=300).contains(&wait), "{wait}");
}

/// Concurrent wrong passwords cannot slip past the per-username limit together
/// (each attempt is reserved in one atomic upsert before the hash is checked).
#[tokio::test]
async fn twenty_concurrent_wrong_passwords_get_ten_answers_and_ten_429s() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let attempts =
        (0..20).map(|_| app.post_with(client(), "login", vec![("username", "alice"), ("password", "wrong horse")]));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 10, "{statuses:?}");
}
