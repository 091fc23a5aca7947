//! Rules and apps that ask more of the sign-in than a policy (`docs/contract/forward-auth.md`
//! "Access rules", `docs/contract/oidc.md` "acr_values"): a `max_age` rule sends a session
//! signed in longer ago back to the portal, which asks for the password and the second factor
//! again without ending the session, and returns to the target; a `factor = "key"` rule admits a
//! sign-in with a security key and not one with a code; an app's `acr_values=key` gets a fresh
//! sign-in with a key and an `acr` claim.
//!
//! Without `COOKIE_DOMAIN` (the test client keeps the cookie for 127.0.0.1), the protected
//! targets are on the portal's own host, which `rd` may name.

use crate::helpers::{client, fresh_database_url, soft_key::SoftKey, spawn_app_with, test_config, TestApp};
use crate::security_keys::{add_key, key_step, ORIGIN, PASSWORD};
use domain::access_rules::AccessRules;
use reqwest::{header, Client, StatusCode};
use std::sync::Arc;

const RULES: &str = r#"
[[rules]]
domain = "localhost"
resources = ["^/fresh/"]
max_age = "1h"
policy = "two_factor"

[[rules]]
domain = "localhost"
resources = ["^/keys/"]
factor = "key"
policy = "two_factor"
"#;

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
const FRESH: &str = "http://localhost:3000/fresh/page?x=1";
const KEYS: &str = "http://localhost:3000/keys/";

async fn gate() -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.access_rules = Arc::new(AccessRules::parse(RULES).unwrap());
    config.settings.public_url = ORIGIN.into();
    // Sessions that outlive the hour `max_age` lets a sign-in count for (not idle: 30 minutes).
    config.sessions.idle = std::time::Duration::from_secs(12 * 3600);
    (spawn_app_with(config).await, folder)
}

/// Asks `/api/authz/forward-auth` about `GET url` as Caddy would, with `c`'s cookie.
async fn gate_answer(app: &TestApp, c: &Client, url: &str) -> reqwest::Response {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, uri) = rest.split_at(rest.find('/').unwrap());
    c.get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", scheme)
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
        .header("x-forwarded-method", "GET")
        .header(header::ACCEPT, BROWSER)
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

fn encoded(url: &str) -> String {
    form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

/// A client signed in to `username` (2FA by app) with a code, in a time step of its own (a code
/// is taken once per step).
async fn signed_in_with_a_code(app: &TestApp, username: &str, secret: &str) -> Client {
    app.advance(30);
    let c = app.new_client();
    assert_eq!(app.login(&c, username, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.submit_code(&c, &app.code(secret, 0)).await.status(), StatusCode::OK);
    c
}

#[tokio::test]
async fn a_max_age_rule_sends_an_old_sign_in_to_a_fresh_one_that_keeps_the_session_and_returns() {
    let (app, _folder) = gate().await;
    let (secret, _) = app.user_with_two_factor("bob", PASSWORD).await;
    let c = signed_in_with_a_code(&app, "bob", &secret).await;
    assert_eq!(gate_answer(&app, &c, FRESH).await.status(), StatusCode::OK, "a fresh session passes");

    app.advance(3_601);
    let r = gate_answer(&app, &c, FRESH).await;
    assert_eq!(r.status(), StatusCode::FOUND, "an hour and a second later: sign in first");
    let login = format!("{ORIGIN}/login?rd={}", encoded(FRESH));
    assert_eq!(location(&r), login);
    // Rules without max_age still take the session as it is.
    assert_eq!(gate_answer(&app, &c, "http://localhost:3000/other").await.status(), StatusCode::OK);

    // The portal shows its form to the signed-in visitor, instead of sending them back at once.
    let page = c.get(app.url(&format!("/login?rd={}", encoded(FRESH)))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the form, not a redirect to rd: {}", location(&page));
    // A wrong password ends nothing: the session is still signed in for its own pages.
    let wrong = app.form_post(&c, "login", &[("username", "bob"), ("password", "wrong"), ("rd", FRESH)]).await;
    assert_ne!(location(&wrong), FRESH);
    assert_eq!(c.get(app.url("/account")).send().await.unwrap().status(), StatusCode::OK);
    // The password, then the code: back to the target, which now admits.
    let r = app.form_post(&c, "login", &[("username", "bob"), ("password", PASSWORD), ("rd", FRESH)]).await;
    assert_eq!(location(&r), format!("/login/2fa?rd={}", encoded(FRESH)));
    assert_eq!(c.get(app.url("/account")).send().await.unwrap().status(), StatusCode::OK, "still signed in");
    assert_eq!(gate_answer(&app, &c, FRESH).await.status(), StatusCode::FOUND, "not before the code");
    let r = app.form_post(&c, "login/2fa", &[("otp", &app.code(&secret, 0)), ("rd", FRESH)]).await;
    assert_eq!(location(&r), FRESH, "back to the target");
    let r = gate_answer(&app, &c, FRESH).await;
    assert_eq!(r.status(), StatusCode::OK, "the fresh sign-in passes");
    assert_eq!(r.headers()["remote-user"], "bob");
    // And the portal, asked again, now sends the visitor straight on.
    let again = c.get(app.url(&format!("/login?rd={}", encoded(FRESH)))).send().await.unwrap();
    assert_eq!(location(&again), FRESH);
}

#[tokio::test]
async fn a_key_rule_refuses_a_code_sign_in_and_admits_a_security_key_one() {
    let (app, _folder) = gate().await;
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let first = signed_in_with_a_code(&app, "alice", &secret).await;
    let mut key = SoftKey::new();
    let (status, added) = add_key(&app, &first, &mut key, "Blue key").await;
    assert_eq!(status, StatusCode::OK, "{added}");

    let c = signed_in_with_a_code(&app, "alice", &secret).await;
    let r = gate_answer(&app, &c, KEYS).await;
    assert_eq!(r.status(), StatusCode::FOUND, "a code is not a key");
    assert_eq!(location(&r), format!("{ORIGIN}/login?rd={}", encoded(KEYS)));
    let page = c.get(app.url(&format!("/login?rd={}", encoded(KEYS)))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the form: {}", location(&page));
    let r = app.form_post(&c, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", KEYS)]).await;
    assert_eq!(location(&r), format!("/login/2fa?rd={}", encoded(KEYS)));
    let (status, answer) = key_step(&app, &c, |challenge| key.sign_in(challenge, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let r = gate_answer(&app, &c, KEYS).await;
    assert_eq!(r.status(), StatusCode::OK, "a sign-in with the key passes");

    // An account without a key is told so, on its account page, instead of a pointless form.
    let (bobs, _) = app.user_with_two_factor("bob", PASSWORD).await;
    let bob = signed_in_with_a_code(&app, "bob", &bobs).await;
    assert_eq!(gate_answer(&app, &bob, KEYS).await.status(), StatusCode::FOUND);
    let r = bob.get(app.url(&format!("/login?rd={}", encoded(KEYS)))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/account");
    let page = bob.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("needs a sign-in with a security key or passkey"), "{page}");
}

#[tokio::test]
async fn an_app_asking_acr_values_key_gets_a_fresh_sign_in_with_a_key_and_an_acr_claim() {
    use domain::openid::store::clients::{self, ClientPolicy, NewClient};
    let (app, _folder) = gate().await;
    let redirect = "http://app.example.test/callback";
    let wiki = NewClient {
        client_id: "wiki".into(),
        name: None,
        redirect_uris: vec![redirect.into()],
        post_logout_redirect_uris: Vec::new(),
        public: true,
        policy: ClientPolicy::OneFactor,
        allowed_groups: vec![],
        allow_insecure_http: true,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    };
    clients::add(&app.db, &wiki, app.clock.now()).await.unwrap();
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let first = signed_in_with_a_code(&app, "alice", &secret).await;
    let mut key = SoftKey::new();
    assert_eq!(add_key(&app, &first, &mut key, "Blue key").await.0, StatusCode::OK);

    let c = signed_in_with_a_code(&app, "alice", &secret).await;
    let authorize = |acr: &str| {
        app.url(&format!(
            "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope=openid{acr}\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            encoded(redirect)
        ))
    };
    // Without acr_values the code sign-in is enough, and the token names no acr.
    let r = c.get(authorize("")).send().await.unwrap();
    assert!(location(&r).starts_with(redirect), "{}", location(&r));
    assert_eq!(id_token_claims(&app, &location(&r), redirect).await["acr"], serde_json::Value::Null);

    let r = c.get(authorize("&acr_values=key")).send().await.unwrap();
    let login = location(&r);
    assert!(login.starts_with("/login?rd=%2Foidc%2Fauthorize%3F"), "a fresh sign-in first: {login}");
    let rd = form_urlencoded::parse(login.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "rd")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(c.get(app.url(&login)).send().await.unwrap().status(), StatusCode::OK, "the form");
    assert!(location(&c.get(app.url(&rd)).send().await.unwrap()).starts_with("/login?rd="), "no code yet");
    let r = app.form_post(&c, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", &rd)]).await;
    assert!(location(&r).starts_with("/login/2fa?rd="), "{}", location(&r));
    let (status, answer) = key_step(&app, &c, |challenge| key.sign_in(challenge, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let r = c.get(app.url(&rd)).send().await.unwrap();
    assert!(location(&r).starts_with(redirect), "a code after the key: {}", location(&r));
    let claims = id_token_claims(&app, &location(&r), redirect).await;
    assert_eq!(claims["acr"], "key");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "hwk", "mfa"]));

    // A fresh sign-in done with a code instead of the key gets no code: access_denied.
    let c = signed_in_with_a_code(&app, "alice", &secret).await;
    let login = location(&c.get(authorize("&acr_values=key")).send().await.unwrap());
    let rd = form_urlencoded::parse(login.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "rd")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    app.form_post(&c, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", &rd)]).await;
    app.advance(30);
    app.form_post(&c, "login/2fa", &[("otp", &app.code(&secret, 0)), ("rd", &rd)]).await;
    let back = location(&c.get(app.url(&rd)).send().await.unwrap());
    assert!(back.starts_with(redirect) && back.contains("error=access_denied"), "{back}");
}

/// The ID token's claims for the code in `location` (PKCE: RFC 7636 Appendix B's verifier).
async fn id_token_claims(app: &TestApp, location: &str, redirect: &str) -> serde_json::Value {
    let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "wiki"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    ];
    let tokens: serde_json::Value =
        client().post(app.url("/oidc/token")).form(&form).send().await.unwrap().json().await.unwrap();
    crate::openid_connect::jwt_part(tokens["id_token"].as_str().expect("an ID token"), 1)
}
