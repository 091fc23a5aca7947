//! Recovery codes, turning 2FA off, re-authentication, the security log and ending sessions.

use crate::helpers::{client, fresh_database_url, json, spawn_app, spawn_app_with, test_config, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A client signed in with both factors; returns it with the key and recovery codes.
async fn signed_in_with_two_factor(app: &TestApp, username: &str) -> (Client, String, Vec<String>) {
    let (secret, codes) = app.user_with_two_factor(username, "correct horse").await;
    let c = app.pending_client(username, "correct horse").await;
    let r = app.submit_recovery_code(&c, &codes[9]).await;
    assert_eq!(r.status(), StatusCode::OK);
    (c, secret, codes[..9].to_vec())
}

async fn event_kinds(app: &TestApp, username: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM security_events JOIN users ON users.id = security_events.user_id
         WHERE username_key = $1 ORDER BY security_events.id",
    )
    .bind(username)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn regenerating_needs_a_current_code_and_voids_the_old_set() {
    let app = spawn_app().await;
    let (c, secret, old) = signed_in_with_two_factor(&app, "alice").await;
    assert_eq!(json(app.post(&c, "2fa/recovery-codes", &[]).await).await.0, StatusCode::BAD_REQUEST);
    let wrong = app.code(&secret, 10);
    assert_eq!(json(app.regenerate_recovery_codes(&c, &wrong).await).await.0, StatusCode::UNAUTHORIZED);
    let r = app.regenerate_recovery_codes(&c, &app.code(&secret, 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);
    let new: Vec<String> = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
    assert_eq!(new.len(), 10);
    // The old set is void, the new one works.
    let p = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&p, &old[0]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.submit_recovery_code(&p, &new[0]).await.status(), StatusCode::OK);
    assert_eq!(json(app.regenerate_recovery_codes(&client(), "123456").await).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code_and_voids_the_recovery_codes() {
    let app = spawn_app().await;
    let (c, secret, codes) = signed_in_with_two_factor(&app, "alice").await;
    let code = app.code(&secret, 1);
    let (status, _) = json(app.disable_two_factor(&c, "wrong horse", &code).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "wrong password");
    let (status, _) = json(app.disable_two_factor(&c, "correct horse", &app.code(&secret, 10)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "wrong code");
    assert_eq!(
        json(app.post(&c, "2fa/disable", &[("otp", &code)]).await).await.0,
        StatusCode::BAD_REQUEST,
        "no password"
    );
    let me: Value = app.me(&c).await.json().await.unwrap();
    assert_eq!(me["two_factor"], true, "still on after the failures");

    let (status, body) = json(app.disable_two_factor(&c, "correct horse", &code).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let me: Value = app.me(&c).await.json().await.unwrap();
    assert_eq!(me["two_factor"], false);
    let remaining: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes").fetch_one(&app.db).await.unwrap();
    assert_eq!(remaining, 0, "recovery codes voided");
    // The password alone signs in again; recovery codes are gone.
    let r: Value = app
        .post(&client(), "login", &[("username", "alice"), ("password", "correct horse")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["second_factor"], false);
    drop(codes);
    // Turning it on again starts a fresh enrollment with a new key.
    let setup: Value = app.start_setup(&c).await.json().await.unwrap();
    assert_ne!(setup["secret"].as_str().unwrap(), secret);
}

#[tokio::test]
async fn disabling_accepts_a_recovery_code_in_the_otp_field() {
    let app = spawn_app().await;
    let (c, _, codes) = signed_in_with_two_factor(&app, "alice").await;
    let r = app.disable_two_factor(&c, "correct horse", &codes[0].to_uppercase()).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn stale_sessions_must_reauthenticate_before_sensitive_changes() {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.reauthentication_window_seconds = 1;
    let app = spawn_app_with(config).await;
    let (c, secret, codes) = signed_in_with_two_factor(&app, "alice").await;
    app.advance(2);
    let (status, body) = json(app.regenerate_recovery_codes(&c, &app.code(&secret, 0)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("confirm your password"), "{body}");
    let (status, _) = json(app.disable_two_factor(&c, "correct horse", &codes[0]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Re-authenticating opens the window again.
    // (A recovery code, since the current step's code was spent by the enrollment.)
    assert_eq!(app.reauthenticate(&c, "wrong horse", Some(&codes[1])).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.reauthenticate(&c, "correct horse", Some(&codes[1])).await.status(), StatusCode::OK);
    let (status, body) = json(app.regenerate_recovery_codes(&c, &app.code(&secret, 1)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_other_session() {
    let app = spawn_app().await;
    let (a, b) = (client(), client());
    app.register(&a, "alice", "correct horse").await;
    assert_eq!(app.login(&b, "alice", "correct horse").await.status(), StatusCode::OK);
    assert_eq!(app.me(&b).await.status(), StatusCode::OK);
    let (status, body) = json(app.end_other_sessions(&a).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_eq!(app.me(&b).await.status(), StatusCode::UNAUTHORIZED, "the other session ended");
    assert_eq!(app.me(&a).await.status(), StatusCode::OK, "this one stays");
    let page = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(page.headers()["location"], "/login");
}

#[tokio::test]
async fn changing_two_factor_ends_other_sessions() {
    let app = spawn_app().await;
    let (a, secret, _) = signed_in_with_two_factor(&app, "alice").await;
    let b = app.pending_client("alice", "correct horse").await;
    let r = app.regenerate_recovery_codes(&a, &app.code(&secret, 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.me(&a).await.status(), StatusCode::OK);
    // The half-way session of the other device is over too.
    let (status, _) = json(app.submit_code(&b, &app.code(&secret, 0)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_security_log_records_each_event() {
    let app = spawn_app().await;
    let (c, secret, codes) = signed_in_with_two_factor(&app, "alice").await;
    app.login(&client(), "alice", "wrong horse").await;
    let p = app.pending_client("alice", "correct horse").await;
    app.submit_code(&p, &app.code(&secret, 10)).await;
    app.submit_recovery_code(&p, "zzzzz-zzzzz").await;
    app.submit_code(&p, &app.code(&secret, 1)).await;
    app.regenerate_recovery_codes(&c, &app.code(&secret, 10)).await;
    app.end_other_sessions(&c).await;
    let r = app.disable_two_factor(&c, "correct horse", &codes[3]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let kinds = event_kinds(&app, "alice").await;
    for expected in [
        "account.registered",
        "two_factor.enabled",
        "sign_in.success.recovery_code",
        "sign_in.failure.password",
        "sign_in.failure.totp",
        "sign_in.failure.recovery_code",
        "sign_in.success.totp",
        "sign_in.failure.totp",
        "sessions.ended_others",
        "two_factor.disabled",
    ] {
        assert!(kinds.iter().any(|k| k == expected), "{expected} missing from {kinds:?}");
    }
    let addresses: Vec<Option<String>> =
        sqlx::query_scalar("SELECT client_address FROM security_events").fetch_all(&app.db).await.unwrap();
    assert!(addresses.iter().all(|a| a.as_deref() == Some("127.0.0.1")), "{addresses:?}");
    // The sessions page shows them.
    let html = c.get(app.url("/account/sessions")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"security-log\""));
    assert!(html.contains("Signed in with password and authenticator code"));
    assert!(html.contains(" UTC<"), "times are rendered (in UTC before hydration)");
}

#[tokio::test]
async fn turning_two_factor_off_and_a_lock_are_logged() {
    let app = spawn_app().await;
    let (c, secret, _) = signed_in_with_two_factor(&app, "alice").await;
    let r = app.disable_two_factor(&c, "correct horse", &app.code(&secret, 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let kinds = event_kinds(&app, "alice").await;
    assert!(kinds.contains(&"two_factor.disabled".to_string()), "{kinds:?}");

    let (_, secret) = {
        let (s, _) = app.user_with_two_factor("bob", "correct horse").await;
        ((), s)
    };
    sqlx::query("UPDATE users SET second_factor_failures = 19, second_factor_failed_at = 0 WHERE username_key = 'bob'")
        .execute(&app.db)
        .await
        .unwrap();
    let p = app.pending_client("bob", "correct horse").await;
    app.submit_code(&p, &app.code(&secret, 10)).await;
    assert!(event_kinds(&app, "bob").await.contains(&"second_factor.locked".to_string()));
}

#[tokio::test]
async fn the_account_page_counts_recovery_codes_and_warns_when_few_are_left() {
    let app = spawn_app().await;
    let (c, _, codes) = signed_in_with_two_factor(&app, "alice").await;
    let html = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"recovery-codes-left\">9<"), "9 left after one was used");
    assert!(!html.contains("id=\"few-recovery-codes\""));
    for code in &codes[..7] {
        let p = app.pending_client("alice", "correct horse").await;
        assert_eq!(app.submit_recovery_code(&p, code).await.status(), StatusCode::OK);
    }
    let html = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"recovery-codes-left\">2<"));
    assert!(html.contains("id=\"few-recovery-codes\""));
}

#[tokio::test]
async fn a_stale_session_cannot_turn_two_factor_on_without_the_password_again() {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.reauthentication_window_seconds = 1;
    let app = spawn_app_with(config).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let setup: Value = app.start_setup(&c).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    app.advance(2);
    let (status, _) = json(app.confirm_setup(&c, &app.code(&secret, 0)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.reauthenticate(&c, "wrong horse", None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.reauthenticate(&c, "correct horse", None).await.status(), StatusCode::OK);
    assert_eq!(app.confirm_setup(&c, &app.code(&secret, 0)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn recovery_codes_waiting_for_a_page_without_javascript_are_not_stored_in_clear() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let setup: Value = app.start_setup(&c).await.json().await.unwrap();
    let r = c
        .post(app.url("/api/2fa/confirm"))
        .header("accept", "text/html")
        .form(&[("otp", app.code(setup["secret"].as_str().unwrap(), 0))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    let codes: Vec<String> =
        html.split("<li><code>").skip(1).map(|rest| rest.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    let stored = crate::helpers::stored_bytes(&app).await;
    for code in codes {
        assert!(!stored.windows(code.len()).any(|w| w == code.as_bytes()), "{code} stored in clear");
    }
}

/// The server may keep who a session belongs to in memory (SQLite): a change must still show at
/// once, in the session that made it and in the others.
#[tokio::test]
async fn who_is_signed_in_follows_a_change_at_once() {
    let app = spawn_app().await;
    let (a, _, codes) = signed_in_with_two_factor(&app, "alice").await;
    let b = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&b, &codes[8]).await.status(), StatusCode::OK);
    for session in [&a, &b] {
        let (status, body) = json(app.me(session).await).await;
        assert_eq!((status, body["two_factor"].clone()), (StatusCode::OK, json!(true)));
    }
    let r = app.disable_two_factor(&a, "correct horse", &codes[0]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = json(app.me(&a).await).await;
    assert_eq!((status, body["two_factor"].clone()), (StatusCode::OK, json!(false)), "this session sees 2FA off");
    assert_eq!(app.me(&b).await.status(), StatusCode::UNAUTHORIZED, "the other session ended");
}
