//! Passkeys (`docs/contract/security-keys.md`, "Passkeys"): added with user verification, then
//! signing in alone (no username, no password) as two factors; refused without user
//! verification, from another origin, for a key added as a mere security key, and when
//! `PASSKEYS=off`. The key is a software authenticator (`helpers/soft_key.rs`), not the code
//! under test.

use crate::helpers::{fresh_database_url, soft_key::SoftKey, spawn_app_with, test_config, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";
const ORIGIN: &str = "http://localhost:3000";

async fn spawn(passkeys: bool) -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.public_url = ORIGIN.into();
    config.settings.passkeys = passkeys;
    (spawn_app_with(config).await, folder)
}

async fn json(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn options(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let (status, body) = json(app.post(client, endpoint, form).await).await;
    assert_eq!(status, StatusCode::OK, "{endpoint}: {body}");
    serde_json::from_str(body["options"].as_str().expect("options")).expect("options are JSON")
}

/// Alice, registered (signed in, recently): her browser.
async fn alice(app: &TestApp) -> Client {
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    browser
}

async fn add_passkey(app: &TestApp, browser: &Client, key: &mut SoftKey) -> (StatusCode, Value) {
    let challenge = options(app, browser, "passkeys/add/start", &[("name", "Laptop")]).await;
    assert_eq!(challenge["publicKey"]["authenticatorSelection"]["residentKey"], "required", "a discoverable key");
    assert_eq!(challenge["publicKey"]["authenticatorSelection"]["userVerification"], "required");
    let credential = key.register(&challenge, ORIGIN);
    json(app.post(browser, "passkeys/add/finish", &[("credential", &credential)]).await).await
}

/// A passkey sign-in on a fresh browser, with the answer `sign` makes from the challenge.
async fn sign_in_with(app: &TestApp, sign: impl FnOnce(&Value) -> String) -> (Client, StatusCode) {
    let browser = app.new_client();
    let challenge = options(app, &browser, "login/passkey/start", &[]).await;
    assert!(challenge["publicKey"]["allowCredentials"].as_array().is_none_or(Vec::is_empty), "no username asked");
    let credential = sign(&challenge);
    let (status, _) = json(app.post(&browser, "login/passkey/finish", &[("credential", &credential)]).await).await;
    (browser, status)
}

#[tokio::test]
async fn a_passkey_signs_in_alone_with_both_factors() {
    let (app, _folder) = spawn(true).await;
    let browser = alice(&app).await;
    let mut key = SoftKey::passkey();
    let (status, added) = add_passkey(&app, &browser, &mut key).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let page = browser.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(">passkey<"), "the list says which key is a passkey");

    let (signed_in, status) = sign_in_with(&app, |challenge| key.sign_in(challenge, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = json(app.post(&signed_in, "me", &[]).await).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("alice")));
    assert_eq!(me["two_factor"], true);
    // Two factors, as the gate sees them (its default asks for two).
    let gate = signed_in
        .get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", "localhost:3000")
        .header("x-forwarded-uri", "/")
        .header("x-forwarded-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(gate.status(), StatusCode::OK);
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM security_events ORDER BY id").fetch_all(&app.db).await.unwrap();
    assert!(kinds.contains(&"sign_in.success.passkey".to_owned()), "{kinds:?}");

    // The same answer again (a replay) is refused: the challenge was used.
    let browser = app.new_client();
    let challenge = options(&app, &browser, "login/passkey/start", &[]).await;
    let answer = key.sign_in(&challenge, ORIGIN);
    assert_eq!(
        json(app.post(&browser, "login/passkey/finish", &[("credential", &answer)]).await).await.0,
        StatusCode::OK
    );
    let replay = json(app.post(&browser, "login/passkey/finish", &[("credential", &answer)]).await).await.0;
    assert_ne!(replay, StatusCode::OK);
}

#[tokio::test]
async fn a_passkey_without_user_verification_is_refused() {
    let (app, _folder) = spawn(true).await;
    let browser = alice(&app).await;
    let mut key = SoftKey::passkey();
    assert_eq!(add_passkey(&app, &browser, &mut key).await.0, StatusCode::OK);
    key.verifies_user = false;
    let (refused, status) = sign_in_with(&app, |challenge| key.sign_in(challenge, ORIGIN)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&refused).await.status(), StatusCode::UNAUTHORIZED);
    // Nor can one be added without it.
    let mut unverified = SoftKey::new();
    let challenge = options(&app, &browser, "passkeys/add/start", &[("name", "Cheap key")]).await;
    let credential = unverified.register(&challenge, ORIGIN);
    assert_ne!(
        json(app.post(&browser, "passkeys/add/finish", &[("credential", &credential)]).await).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_passkey_answer_from_another_origin_is_refused() {
    let (app, _folder) = spawn(true).await;
    let browser = alice(&app).await;
    let mut key = SoftKey::passkey();
    assert_eq!(add_passkey(&app, &browser, &mut key).await.0, StatusCode::OK);
    let (refused, status) =
        sign_in_with(&app, |challenge| key.sign_in(challenge, "http://localhost.evil.example:3000")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&refused).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_key_added_as_a_security_key_does_not_sign_in_alone() {
    let (app, _folder) = spawn(true).await;
    let browser = alice(&app).await;
    // Even one that verifies its user: it was added as a second factor after the password.
    let mut key = SoftKey::passkey();
    let challenge = options(&app, &browser, "security-keys/add/start", &[("name", "Blue key")]).await;
    let credential = key.register(&challenge, ORIGIN);
    assert_eq!(
        json(app.post(&browser, "security-keys/add/finish", &[("credential", &credential)]).await).await.0,
        StatusCode::OK
    );
    let (refused, status) = sign_in_with(&app, |challenge| key.sign_in(challenge, ORIGIN)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&refused).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn with_passkeys_off_nothing_of_them_is_offered_or_served() {
    let (app, _folder) = spawn(false).await;
    let browser = alice(&app).await;
    assert_eq!(
        json(app.post(&browser, "passkeys/add/start", &[("name", "Laptop")]).await).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(json(app.post(&app.new_client(), "login/passkey/start", &[]).await).await.0, StatusCode::BAD_REQUEST);
    let login = app.new_client().get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!login.contains("Sign in with a passkey"));
    let (_, folder_on) = {
        let (on, folder) = spawn(true).await;
        let login = on.new_client().get(on.url("/login")).send().await.unwrap().text().await.unwrap();
        assert!(login.contains("Sign in with a passkey") && login.contains("autocomplete=\"username webauthn\""));
        (on, folder)
    };
    drop(folder_on);
}

#[tokio::test]
async fn an_app_is_told_a_passkey_sign_in_as_hwk_user_mfa() {
    use crate::openid_connect::{jwt_part, location, redirect_param, register, rp_http, CHALLENGE, REDIRECT, VERIFIER};
    use domain::openid::store::clients::ClientPolicy;
    let (app, _folder) = spawn(true).await;
    register(&app, "wiki", true, ClientPolicy::TwoFactor).await;
    let browser = alice(&app).await;
    let mut key = SoftKey::passkey();
    assert_eq!(add_passkey(&app, &browser, &mut key).await.0, StatusCode::OK);
    let (signed_in, status) = sign_in_with(&app, |challenge| key.sign_in(challenge, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK);

    let authorize = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope=openid&state=s\
         &code_challenge={CHALLENGE}&code_challenge_method=S256",
        redirect_param()
    ));
    let back = location(&signed_in.get(authorize).send().await.unwrap());
    let code = form_urlencoded::parse(back.split_once('?').expect("a query").1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("a code: {back}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "wiki"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let tokens: Value = rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap().json().await.unwrap();
    let claims = jwt_part(tokens["id_token"].as_str().expect("an ID token"), 1);
    assert_eq!(claims["amr"], serde_json::json!(["hwk", "user", "mfa"]));
}
