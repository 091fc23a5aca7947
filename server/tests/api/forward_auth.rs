//! The forward-auth gate (API.md, "Protecting other applications"): every row of the contract's
//! table, through both endpoints, asked as a proxy would ask (headers describing the target, the
//! visitor's cookie passed along).

use crate::helpers::{client, fresh_database_url, spawn_app_with, test_config, TestApp};
use domain::access_rules::AccessRules;
use reqwest::{header, Client, StatusCode};
use std::sync::Arc;

const RULES: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "status.example.test"
policy = "bypass"

[[rules]]
domain = "wiki.example.test"
policy = "one_factor"

[[rules]]
domain = "secret.example.test"
policy = "deny"
"#;

/// The gate with the rules above. With `COOKIE_DOMAIN` the session cookie is for
/// `example.test`, which the test client (on 127.0.0.1) does not send back: the tests that sign
/// in run without it.
async fn gate_with(cookie_domain: bool) -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.access_rules = Arc::new(AccessRules::parse(RULES).unwrap());
    config.settings.cookie_domain = cookie_domain.then(|| "example.test".to_owned());
    config.settings.public_url = "https://auth.example.test".into();
    (spawn_app_with(config).await, folder)
}

async fn gate() -> (TestApp, tempfile::TempDir) {
    gate_with(true).await
}

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// Asks `/api/authz/forward-auth` (Traefik, Caddy) about `method url`.
async fn forward_auth(app: &TestApp, c: &Client, method: &str, url: &str, accept: &str) -> reqwest::Response {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, uri) = rest.split_at(rest.find('/').unwrap());
    c.get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", scheme)
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
        .header("x-forwarded-method", method)
        .header(header::ACCEPT, accept)
        .send()
        .await
        .unwrap()
}

/// Asks `/api/authz/auth-request` (nginx).
async fn auth_request(app: &TestApp, c: &Client, method: &str, url: &str, accept: &str) -> reqwest::Response {
    c.get(app.url("/api/authz/auth-request"))
        .header("x-original-url", url)
        .header("x-original-method", method)
        .header(header::ACCEPT, accept)
        .send()
        .await
        .unwrap()
}

fn remote(r: &reqwest::Response) -> [String; 4] {
    ["remote-user", "remote-groups", "remote-name", "remote-email"]
        .map(|h| r.headers().get(h).unwrap_or_else(|| panic!("{h} missing")).to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_visitor_not_signed_in_is_sent_to_the_portal_or_told_401() {
    let (app, _folder) = gate().await;
    let c = client();
    let r = forward_auth(&app, &c, "GET", "https://app.example.test/docs?page=2", BROWSER).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()[header::LOCATION],
        "https://auth.example.test/login?rd=https%3A%2F%2Fapp.example.test%2Fdocs%3Fpage%3D2"
    );
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let r = forward_auth(&app, &c, "POST", "https://app.example.test/form", BROWSER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a form post is sent on with 303");
    let r = auth_request(&app, &c, "GET", "https://app.example.test/docs", BROWSER).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "nginx gets 401 with the Location");
    assert_eq!(
        r.headers()[header::LOCATION],
        "https://auth.example.test/login?rd=https%3A%2F%2Fapp.example.test%2Fdocs"
    );
    for accept in ["application/json", "*/*"] {
        assert_eq!(forward_auth(&app, &c, "GET", "https://app.example.test/", accept).await.status(), 401);
        assert_eq!(auth_request(&app, &c, "GET", "https://app.example.test/", accept).await.status(), 401);
    }
    let scripted = c
        .get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "app.example.test")
        .header("x-forwarded-uri", "/")
        .header("x-forwarded-method", "GET")
        .header(header::ACCEPT, BROWSER)
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_rules_decide_who_passes_with_the_remote_headers() {
    let (app, _folder) = gate_with(false).await;
    let anonymous = client();
    let r = forward_auth(&app, &anonymous, "GET", "https://status.example.test/", BROWSER).await;
    assert_eq!(r.status(), StatusCode::OK, "bypass");
    assert_eq!(remote(&r), ["", "", "", ""].map(String::from), "all four present, empty");
    assert_eq!(forward_auth(&app, &anonymous, "GET", "https://secret.example.test/", BROWSER).await.status(), 403);

    // Signed in with a password only (2FA off): one_factor passes, two_factor not yet.
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let r = auth_request(&app, &c, "GET", "https://wiki.example.test/page", BROWSER).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(remote(&r), ["alice", "", "alice", ""].map(String::from));
    assert_eq!(forward_auth(&app, &c, "GET", "https://app.example.test/", BROWSER).await.status(), 302);
    assert_eq!(forward_auth(&app, &c, "GET", "https://secret.example.test/", BROWSER).await.status(), 403);

    // With 2FA on and both factors done, two_factor passes.
    let (secret, _) = app.user_with_two_factor("bob", "correct horse").await;
    let bob = app.pending_client("bob", "correct horse").await;
    assert_eq!(forward_auth(&app, &bob, "GET", "https://app.example.test/", "*/*").await.status(), 401, "pending");
    assert_eq!(forward_auth(&app, &bob, "GET", "https://wiki.example.test/", "*/*").await.status(), 401, "pending");
    assert_eq!(app.submit_code(&bob, &app.code(&secret, 1)).await.status(), StatusCode::OK);
    let r = forward_auth(&app, &bob, "GET", "https://app.example.test/", "*/*").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(remote(&r)[0], "bob");

    // Signed out, the gate is closed again.
    app.logout(&bob).await;
    assert_eq!(forward_auth(&app, &bob, "GET", "https://app.example.test/", "*/*").await.status(), 401);
}

#[tokio::test]
async fn a_missing_malformed_or_foreign_target_is_400() {
    let (app, _folder) = gate().await;
    let c = client();
    for (method, url) in [
        ("GET", "https://elsewhere.test/"),
        ("GET", "https://example.test.evil.test/"),
        ("GET", "ftp://app.example.test/"),
        ("GET", "https://user@app.example.test/"),
        ("GET", "/relative"),
        ("G E T", "https://app.example.test/"),
    ] {
        assert_eq!(auth_request(&app, &c, method, url, BROWSER).await.status(), 400, "{method} {url}");
    }
    let missing = c.get(app.url("/api/authz/forward-auth")).header(header::ACCEPT, BROWSER).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let no_method = c
        .get(app.url("/api/authz/auth-request"))
        .header("x-original-url", "https://app.example.test/")
        .send()
        .await
        .unwrap();
    assert_eq!(no_method.status(), StatusCode::BAD_REQUEST);
    let head = c
        .head(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "status.example.test")
        .header("x-forwarded-uri", "/")
        .header("x-forwarded-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK, "HEAD is answered too");
}
