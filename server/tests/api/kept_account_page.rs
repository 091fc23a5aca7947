//! The account page is kept once rendered (`signed_in_page_cache.rs`): each test here removes a
//! guard of that cache and fails — another account's page, a change not shown at once, a secret
//! shown twice, a signed-out session still served, a nonce served twice.

use crate::helpers::{client, spawn_app};
use reqwest::{header, Client, StatusCode};

async fn account_page(app: &crate::helpers::TestApp, c: &Client) -> (StatusCode, String, String) {
    let r = c.get(app.url("/account")).send().await.unwrap();
    let status = r.status();
    let policy = r.headers().get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned());
    (status, policy.unwrap_or_default(), r.text().await.unwrap())
}

#[tokio::test]
async fn each_account_sees_its_own_page_with_a_fresh_nonce() {
    let app = spawn_app().await;
    let (alice, bob) = (client(), client());
    app.register(&alice, "alice", "correct horse").await;
    app.register(&bob, "bob", "correct horse").await;
    let (_, first_policy, first) = account_page(&app, &alice).await;
    let (_, second_policy, second) = account_page(&app, &alice).await;
    assert!(first.contains("alice") && second.contains("alice"));
    assert_ne!(first_policy, second_policy, "each response has its own nonce");
    let nonce = second_policy.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(second.contains(&format!("nonce=\"{nonce}\"")), "the kept page carries the new nonce");
    let (_, _, bobs) = account_page(&app, &bob).await;
    assert!(bobs.contains("bob") && !bobs.contains("alice"), "never another account's page");
}

#[tokio::test]
async fn a_change_shows_at_once_and_recovery_codes_show_once() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let (_, _, before) = account_page(&app, &c).await;
    assert!(before.contains("id=\"two-factor-status\""));
    let setup: serde_json::Value = app.start_setup(&c).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    // Confirmed as a browser without JavaScript would: the codes wait for the next page.
    let r = app.form_post(&c, "2fa/confirm", &[("otp", &app.code(&secret, 0))]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, _, shown) = account_page(&app, &c).await;
    assert!(shown.contains("recovery-code-list"), "the new codes are shown");
    let (_, _, again) = account_page(&app, &c).await;
    assert!(!again.contains("recovery-code-list"), "and only once");
    assert!(before.contains("Two-factor authentication is off"));
    assert!(again.contains("Two-factor authentication is on"), "the change shows at once");
}

#[tokio::test]
async fn a_signed_out_session_is_sent_to_sign_in() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    assert_eq!(account_page(&app, &c).await.0, StatusCode::OK);
    assert_eq!(account_page(&app, &c).await.0, StatusCode::OK);
    app.logout(&c).await;
    let r = c.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/login");
}

#[tokio::test]
async fn a_session_ended_from_elsewhere_is_not_served_the_kept_page() {
    let app = spawn_app().await;
    let (first, second) = (client(), client());
    app.register(&first, "alice", "correct horse").await;
    app.login(&second, "alice", "correct horse").await;
    assert_eq!(account_page(&app, &first).await.0, StatusCode::OK);
    assert_eq!(app.end_other_sessions(&second).await.status(), StatusCode::OK);
    let r = first.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the ended session is signed out, not served its old page");
}
