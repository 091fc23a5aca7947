//! RFC 6238 §5.2: each time-step is accepted at most once per account.

use crate::helpers::{client, json, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn a_code_is_accepted_once() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let code = app.code(&secret, 1);
    let first = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&first, &code).await.status(), StatusCode::OK);
    let second = app.pending_client("alice", "correct horse").await;
    let (status, _) = json(app.submit_code(&second, &code).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the same code, replayed");
}

#[tokio::test]
async fn an_older_code_is_refused_after_a_newer_one() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let first = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&first, &app.code(&secret, 1)).await.status(), StatusCode::OK);
    let second = app.pending_client("alice", "correct horse").await;
    let (status, _) = json(app.submit_code(&second, &app.code(&secret, 0)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_confirming_code_counts_as_used() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let setup: serde_json::Value = app.start_setup(&c).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap();
    let code = app.code(secret, 0);
    assert_eq!(app.confirm_setup(&c, &code).await.status(), StatusCode::OK);
    let pending = app.pending_client("alice", "correct horse").await;
    let (status, _) = json(app.submit_code(&pending, &code).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ten_concurrent_submissions_of_one_code_give_exactly_one_success() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let mut sessions = Vec::new();
    for _ in 0..10 {
        sessions.push(app.pending_client("alice", "correct horse").await);
    }
    let code = app.code(&secret, 1);
    let form = [("otp", code.as_str())];
    let attempts = sessions.iter().map(|c| app.post(c, "login/2fa", &form));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let successes = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(successes, 1, "{statuses:?}");
    // The others are refused: as a replay (401), or by the per-account throttle (429) once
    // five attempts are under way at once.
    assert!(
        statuses.iter().all(|s| [StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(s)),
        "{statuses:?}"
    );
}
