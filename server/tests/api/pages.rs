//! Who may see which page (`docs/contract/pages.md`).

use crate::helpers::{client, setup_key_from_page, spawn_app};
use reqwest::StatusCode;

async fn location_of(c: &reqwest::Client, url: String) -> (StatusCode, Option<String>) {
    let r = c.get(url).send().await.unwrap();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    (r.status(), location)
}

#[tokio::test]
async fn public_pages_render_for_anyone() {
    let app = spawn_app().await;
    for (path, field) in [("/", ""), ("/login", "name=\"password\""), ("/register", "name=\"username\"")] {
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert!(r.text().await.unwrap().contains(field), "{path}");
    }
}

#[tokio::test]
async fn signed_in_pages_send_a_visitor_to_login() {
    let app = spawn_app().await;
    for path in
        ["/account", "/account/sessions", "/account/apps", "/account/profile", "/account/2fa/setup", "/login/2fa"]
    {
        let (status, location) = location_of(&client(), app.url(path)).await;
        assert!(status.is_redirection(), "{path}: {status}");
        assert_eq!(location.as_deref(), Some("/login"), "{path}");
    }
}

#[tokio::test]
async fn a_pending_session_is_sent_to_the_code_page() {
    let app = spawn_app().await;
    app.user_with_two_factor("alice", "correct horse").await;
    let c = app.pending_client("alice", "correct horse").await;
    for path in ["/account", "/account/sessions", "/account/apps", "/account/profile", "/account/2fa/setup"] {
        assert_eq!(location_of(&c, app.url(path)).await.1.as_deref(), Some("/login/2fa"), "{path}");
    }
    let page = c.get(app.url("/login/2fa")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"otp\""));
    assert!(html.contains("name=\"recovery_code\""));
}

#[tokio::test]
async fn the_code_field_keeps_leading_zeros_and_suits_phones() {
    let app = spawn_app().await;
    app.user_with_two_factor("alice", "correct horse").await;
    let c = app.pending_client("alice", "correct horse").await;
    let html = c.get(app.url("/login/2fa")).send().await.unwrap().text().await.unwrap();
    let input = html.split("<input").find(|i| i.contains("name=\"otp\"")).unwrap();
    for attribute in ["type=\"text\"", "inputmode=\"numeric\"", "autocomplete=\"one-time-code\"", "maxlength="] {
        assert!(input.contains(attribute), "{attribute} missing in {input}");
    }
    assert!(!input.contains("type=\"number\""));
}

#[tokio::test]
async fn the_setup_page_shows_qr_key_copy_button_and_instructions() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let r = c.get(app.url("/account/2fa/setup")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("<svg"), "the QR code");
    assert!(html.contains("Google Authenticator"));
    assert!(html.contains("id=\"setup-key\""));
    assert!(html.contains(">Copy<"));
    assert!(html.contains("name=\"otp\""));
    // Reloading the page keeps the key a phone may already have scanned.
    let again = c.get(app.url("/account/2fa/setup")).send().await.unwrap().text().await.unwrap();
    assert_eq!(setup_key_from_page(&html), setup_key_from_page(&again));
    // The key shown is the key confirmed.
    let secret = setup_key_from_page(&html);
    assert_eq!(secret.len(), 32);
    let r = app.confirm_setup(&c, &app.code(&secret, 0)).await;
    assert_eq!(r.status(), StatusCode::OK);
    // With 2FA on, the setup page sends to the account page.
    assert_eq!(location_of(&c, app.url("/account/2fa/setup")).await.1.as_deref(), Some("/account"));
}

#[tokio::test]
async fn the_account_page_shows_who_and_the_two_factor_status() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let html = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("alice"));
    assert!(html.contains("Two-factor authentication is off"));
    assert!(html.contains("href=\"/account/2fa/setup\""));
}

#[tokio::test]
async fn a_signed_in_session_skips_the_code_page() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    assert_eq!(location_of(&c, app.url("/login/2fa")).await.1.as_deref(), Some("/account"));
}

fn nonce_of(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_owned()
}

/// Anonymous pages are rendered once and stored (`anonymous_page_cache`): each answer must still
/// carry its own script nonce, in the policy and in the page, and none of an earlier answer's.
#[tokio::test]
async fn a_stored_page_gets_a_fresh_nonce_every_time() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let r = client().get(app.url("/login")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let nonce = nonce_of(r.headers()["content-security-policy"].to_str().unwrap());
        let page = r.text().await.unwrap();
        assert!(page.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
        for earlier in &seen {
            assert!(!page.contains(earlier), "an earlier answer's nonce is in this page");
        }
        seen.push(nonce);
    }
}

/// A visitor's message (a flash cookie) is never stored for, nor shown to, anyone else.
#[tokio::test]
async fn a_stored_page_never_carries_a_visitors_message() {
    let app = spawn_app().await;
    let _warm = client().get(app.url("/login")).send().await.unwrap();
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
    let failed = browser
        .post(app.url("/api/login"))
        .header("accept", "text/html")
        .form(&[("username", "nobody"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::SEE_OTHER);
    let own = browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(own.contains("Wrong username or password."), "the visitor sees their message");
    let other = client().get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!other.contains("Wrong username or password."), "another visitor does not");
}
