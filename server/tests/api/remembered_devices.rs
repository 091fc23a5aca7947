//! Remembered devices ("Don't ask again on this device for N days", `docs/contract/api.md`):
//! after a second step with the box ticked, the password alone completes that account's
//! sign-in on that browser — and nowhere else, for no other account, and no longer once the
//! device is forgotten, expired, or the account's 2FA, sessions or standing change.

use crate::helpers::{fresh_database_url, json, spawn_app, spawn_app_with, test_config, TestApp};
use crate::openid_connect::{jwt_part, location, provider, query_param, redirect_param, register, rp_http};
use domain::openid::store::clients::ClientPolicy;
use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json as j, Value};

const PASSWORD: &str = "correct horse battery";

/// The `remember` cookie a response hands over (`name=value` only), if it does.
fn remember_cookie(r: &Response) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("remember="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// `alice` with 2FA on, and a browser where she signed in with a code, ticking the box; then
/// signed out there. Returns her key, the browser and the cookie it was handed.
async fn alice_remembered(app: &TestApp) -> (String, Client, String) {
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let (browser, cookie) = remembered(app, "alice", &secret).await;
    (secret, browser, cookie)
}

/// A browser where `username` signed in with a code and "Don't ask again", then signed out.
async fn remembered(app: &TestApp, username: &str, secret: &str) -> (Client, String) {
    let browser = app.pending_client(username, PASSWORD).await;
    app.advance(30);
    let r = app.post(&browser, "login/2fa", &[("otp", &app.code(secret, 0)), ("remember_device", "on")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = remember_cookie(&r).expect("the remember cookie");
    assert_eq!(app.logout(&browser).await.status(), StatusCode::OK);
    (browser, cookie)
}

/// The password step's answer on `browser`.
async fn password_step(app: &TestApp, browser: &Client, username: &str) -> Value {
    let (status, body) = json(app.login(browser, username, PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The password step from a browser showing only `cookie`.
async fn password_step_with_cookie(app: &TestApp, cookie: &str, username: &str, password: &str) -> Response {
    app.new_client()
        .post(app.url("/api/login"))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn devices_of(app: &TestApp, username: &str) -> i64 {
    let row: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM remembered_devices WHERE user_id = (SELECT id FROM users WHERE username = $1)",
    )
    .bind(username)
    .fetch_one(&app.db)
    .await
    .unwrap();
    row.0
}

async fn page(app: &TestApp, c: &Client, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// The handle the sessions page shows for the first remembered device.
fn first_device_handle(html: &str) -> String {
    let at = html.find(r#"name="device" value=""#).expect("a Forget button");
    html[at + r#"name="device" value=""#.len()..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn the_code_step_offers_the_box_unticked_and_ticking_it_hands_over_a_cookie_for_thirty_days() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let browser = app.pending_client("alice", PASSWORD).await;
    let html = page(&app, &browser, "/login/2fa").await;
    assert!(
        html.contains("Don&#x27;t ask again on this device for 30 days")
            || html.contains("Don't ask again on this device for 30 days"),
        "{html}"
    );
    let boxes: Vec<&str> = html.split("<input").filter(|i| i.contains(r#"name="remember_device""#)).collect();
    assert!(!boxes.is_empty());
    assert!(boxes.iter().all(|i| i.contains(r#"type="checkbox""#) && !i.contains("checked")), "opt-in");
    app.advance(30);
    let r = app.post(&browser, "login/2fa", &[("otp", &app.code(&secret, 0)), ("remember_device", "on")]).await;
    let set: Vec<String> =
        r.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let cookie = set.iter().find(|c| c.starts_with("remember=")).expect("a remember cookie");
    assert!(
        cookie.contains("Max-Age=2592000") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(json(r).await, (StatusCode::OK, j!({})));
    assert_eq!(devices_of(&app, "alice").await, 1);
    let stored: (String,) =
        sqlx::query_as("SELECT token_hash FROM remembered_devices").fetch_one(&app.db).await.unwrap();
    assert!(!cookie.contains(&stored.0), "the database keeps a hash, not the cookie's value");
}

#[tokio::test]
async fn on_a_remembered_device_the_password_alone_signs_in_and_counts_as_two_factors() {
    let app = spawn_app().await;
    let (_, browser, _) = alice_remembered(&app).await;
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": false }));
    let (status, me) = json(app.me(&browser).await).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("alice")));
    // The pages that ask for two factors let it in, and the log says how it signed in.
    let r = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let kinds: Vec<(String,)> =
        sqlx::query_as("SELECT kind FROM security_events ORDER BY id DESC LIMIT 1").fetch_all(&app.db).await.unwrap();
    assert_eq!(kinds[0].0, "sign_in.success.remembered_device");
    let html = page(&app, &browser, "/account/sessions").await;
    assert!(html.contains("Signed in with password on a remembered device"));
    // Forward auth under the default rule (two factors for every protected app) admits it.
    let ask = |c: &Client| {
        c.get(app.url("/api/authz/forward-auth"))
            .header("x-forwarded-proto", "http")
            .header("x-forwarded-host", "127.0.0.1:3000")
            .header("x-forwarded-uri", "/")
            .header("x-forwarded-method", "GET")
            .send()
    };
    let admitted = ask(&browser).await.unwrap();
    assert_eq!(admitted.status(), StatusCode::OK);
    assert_eq!(admitted.headers()["remote-user"], "alice");
    assert_eq!(ask(&app.new_client()).await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_app_sees_amr_pwd_remembered() {
    let (app, _folder) = provider().await;
    register(&app, "wiki", true, ClientPolicy::TwoFactor).await;
    let (_, browser, _) = alice_remembered(&app).await;
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": false }));
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        redirect_param(),
        crate::openid_connect::CHALLENGE
    ));
    let back = location(&browser.get(url).send().await.unwrap());
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("a code for a two-factor app: {back}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "wiki"),
        ("code", code.as_str()),
        ("redirect_uri", crate::openid_connect::REDIRECT),
        ("code_verifier", crate::openid_connect::VERIFIER),
    ];
    let (status, body) = json(rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = jwt_part(body["id_token"].as_str().unwrap(), 1);
    assert_eq!(claims["amr"], j!(["pwd", "remembered"]));
}

#[tokio::test]
async fn without_the_box_the_code_is_asked_again() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let browser = app.pending_client("alice", PASSWORD).await;
    app.advance(30);
    let r = app.post(&browser, "login/2fa", &[("otp", &app.code(&secret, 0)), ("remember_device", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(remember_cookie(&r), None);
    app.logout(&browser).await;
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
    assert_eq!(devices_of(&app, "alice").await, 0);
}

#[tokio::test]
async fn a_recovery_code_step_and_a_plain_form_post_remember_too() {
    let app = spawn_app().await;
    let (_, codes) = app.user_with_two_factor("alice", PASSWORD).await;
    let browser = app.new_client();
    let r = app.form_post(&browser, "login", &[("username", "alice"), ("password", PASSWORD)]).await;
    assert!(location(&r).starts_with("/login/2fa"));
    let r = app.form_post(&browser, "login/recovery", &[("recovery_code", &codes[0]), ("remember_device", "on")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(remember_cookie(&r).is_some());
    app.form_post(&browser, "logout", &[]).await;
    let r = app.form_post(&browser, "login", &[("username", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!location(&r).starts_with("/login/2fa"), "signed in at once: {}", location(&r));
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_cookie_without_the_password_gives_nothing() {
    let app = spawn_app().await;
    let (_, _, cookie) = alice_remembered(&app).await;
    let thief = app.new_client();
    let me = thief.post(app.url("/api/me")).header(header::COOKIE, &cookie).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let account = thief.get(app.url("/account")).header(header::COOKIE, &cookie).send().await.unwrap();
    assert!(account.status().is_redirection(), "the account page sends it to sign in");
    let wrong = password_step_with_cookie(&app, &cookie, "alice", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // With the password, the same cookie on another client is the device (it is the cookie that
    // is remembered): the password is what it never stands in for.
    let right = password_step_with_cookie(&app, &cookie, "alice", PASSWORD).await;
    assert_eq!(json(right).await, (StatusCode::OK, j!({ "second_factor": false })));
}

#[tokio::test]
async fn the_cookie_with_another_accounts_password_still_asks_for_the_second_factor() {
    let app = spawn_app().await;
    let (_, browser, cookie) = alice_remembered(&app).await;
    app.user_with_two_factor("bob", PASSWORD).await;
    assert_eq!(password_step(&app, &browser, "bob").await, j!({ "second_factor": true }));
    let r = password_step_with_cookie(&app, &cookie, "bob", PASSWORD).await;
    assert_eq!(json(r).await, (StatusCode::OK, j!({ "second_factor": true })));
    // A forged or tampered cookie is no device either.
    let mut tampered = cookie.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let r = password_step_with_cookie(&app, &tampered, "alice", PASSWORD).await;
    assert_eq!(json(r).await, (StatusCode::OK, j!({ "second_factor": true })));
}

#[tokio::test]
async fn a_forgotten_device_asks_for_the_code_again_and_only_its_owner_can_forget_it() {
    let app = spawn_app().await;
    let (secret, browser, _) = alice_remembered(&app).await;
    password_step(&app, &browser, "alice").await;
    let html = page(&app, &browser, "/account/sessions").await;
    assert!(!html.contains("None yet."), "the device is listed");
    assert!(html.contains(r#"aria-label="Forget "#), "Forget names the device");
    assert!(html.contains("This device"));
    let handle = first_device_handle(&html);
    // Bob, signed in with both factors, cannot forget Alice's device: the same 404 as nothing.
    let (bob_secret, _) = app.user_with_two_factor("bob", PASSWORD).await;
    let bob = app.pending_client("bob", PASSWORD).await;
    assert_eq!(app.submit_code(&bob, &app.code(&bob_secret, 1)).await.status(), StatusCode::OK);
    let (status, _) = json(app.post(&bob, "devices/forget", &[("device", &handle)]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(devices_of(&app, "alice").await, 1);
    // Alice forgets it (a plain form post goes back to the list).
    let r = app.form_post(&browser, "devices/forget", &[("device", &handle)]).await;
    assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/account/sessions".to_owned()));
    let (status, body) = json(app.post(&browser, "devices/forget", &[("device", &handle)]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = json(app.post(&browser, "devices/forget", &[("device", "nonsense")]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.logout(&browser).await;
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
    let _ = secret;
}

#[tokio::test]
async fn forget_answers_a_script_with_an_empty_object() {
    let app = spawn_app().await;
    let (_, browser, _) = alice_remembered(&app).await;
    password_step(&app, &browser, "alice").await;
    let handle = first_device_handle(&page(&app, &browser, "/account/sessions").await);
    assert_eq!(
        json(app.post(&browser, "devices/forget", &[("device", &handle)]).await).await,
        (StatusCode::OK, j!({}))
    );
    assert_eq!(devices_of(&app, "alice").await, 0);
}

#[tokio::test]
async fn an_expired_device_asks_for_the_code_again() {
    let app = spawn_app().await;
    let (_, browser, _) = alice_remembered(&app).await;
    app.advance(30 * 24 * 60 * 60 - 60);
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": false }), "still within 30 days");
    app.logout(&browser).await;
    app.advance(120);
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
}

#[tokio::test]
async fn ending_every_other_session_forgets_every_device() {
    let app = spawn_app().await;
    let (secret, browser, _) = alice_remembered(&app).await;
    let other = app.pending_client("alice", PASSWORD).await;
    app.advance(30);
    assert_eq!(app.submit_code(&other, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    assert_eq!(app.end_other_sessions(&other).await.status(), StatusCode::OK);
    assert_eq!(devices_of(&app, "alice").await, 0);
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
}

#[tokio::test]
async fn turning_two_factor_off_forgets_every_device() {
    let app = spawn_app().await;
    let (secret, browser, _) = alice_remembered(&app).await;
    let other = app.pending_client("alice", PASSWORD).await;
    app.advance(30);
    assert_eq!(app.submit_code(&other, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    app.advance(30);
    assert_eq!(app.disable_two_factor(&other, PASSWORD, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    assert_eq!(devices_of(&app, "alice").await, 0);
    // On again: the browser remembered before is asked for the new code.
    let setup: Value = app.start_setup(&other).await.json().await.unwrap();
    let new_secret = setup["secret"].as_str().unwrap().to_owned();
    app.advance(30);
    assert_eq!(app.confirm_setup(&other, &app.code(&new_secret, 0)).await.status(), StatusCode::OK);
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
}

/// The console's "Reset 2FA", "End all sessions" and "Disable" each forget every device.
#[tokio::test]
async fn the_consoles_reset_end_all_sessions_and_disable_forget_every_device() {
    let app = spawn_app().await;
    let (root_secret, _) = app.user_with_two_factor("root", PASSWORD).await;
    app.operator(&["user", "set", "root", "--groups", "admins"]);
    let admin = app.pending_client("root", PASSWORD).await;
    assert_eq!(app.submit_code(&admin, &app.code(&root_secret, 1)).await.status(), StatusCode::OK);
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    for endpoint in ["admin/people/end-sessions", "admin/people/disable", "admin/people/reset-2fa"] {
        if endpoint == "admin/people/reset-2fa" {
            let (status, _) = json(app.post(&admin, "admin/people/enable", &[("username", "alice")]).await).await;
            assert_eq!(status, StatusCode::OK);
        }
        app.advance(30);
        let (browser, _) = remembered(&app, "alice", &secret).await;
        assert_eq!(devices_of(&app, "alice").await, 1, "{endpoint}");
        let (status, body) = json(app.post(&admin, endpoint, &[("username", "alice")]).await).await;
        assert_eq!(status, StatusCode::OK, "{endpoint}: {body}");
        assert_eq!(devices_of(&app, "alice").await, 0, "{endpoint}");
        if endpoint == "admin/people/end-sessions" {
            assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
        }
    }
}

#[tokio::test]
async fn deleting_the_account_deletes_its_devices() {
    let app = spawn_app().await;
    alice_remembered(&app).await;
    app.operator(&["user", "delete", "alice"]);
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM remembered_devices").fetch_one(&app.db).await.unwrap();
    assert_eq!(row.0, 0);
}

#[tokio::test]
async fn with_zero_days_the_box_is_not_offered_and_the_field_is_ignored() {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.remember_device_days = 0;
    let app = spawn_app_with(config).await;
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let browser = app.pending_client("alice", PASSWORD).await;
    let html = page(&app, &browser, "/login/2fa").await;
    assert!(!html.contains("remember_device"), "no box");
    app.advance(30);
    let r = app.post(&browser, "login/2fa", &[("otp", &app.code(&secret, 0)), ("remember_device", "on")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(remember_cookie(&r), None);
    assert_eq!(devices_of(&app, "alice").await, 0);
    app.logout(&browser).await;
    assert_eq!(password_step(&app, &browser, "alice").await, j!({ "second_factor": true }));
}
