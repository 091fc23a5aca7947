//! App passwords (`docs/contract/forward-auth.md#app-passwords`): made on `/account/apps` with a
//! recent sign-in and shown once; accepted by the gate as HTTP Basic or Bearer only on rules
//! with `app_passwords = true`, as their owner at one factor; refused as if absent when revoked,
//! expired, for another host, or after the password, 2FA or the account changed; wrong ones
//! counted as wrong passwords. Through real nginx and Caddy too.

use crate::helpers::{
    fresh_database_url,
    proxies::{Proxied, ProxyKind, Site, Upstream, APP_HOST},
    spawn_app_with, test_config, TestApp,
};
use base64::Engine;
use domain::access_rules::AccessRules;
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use std::sync::Arc;

const PASSWORD: &str = "correct horse";

const RULES: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "app.example.test"
resources = ["^/api/"]
policy = "two_factor"
app_passwords = true

[[rules]]
domain = "app.example.test"
resources = ["^/admin/"]
subject = "group:admins"
policy = "one_factor"
app_passwords = true

[[rules]]
domain = "app.example.test"
resources = ["^/closed/"]
policy = "deny"
app_passwords = true

[[rules]]
domain = "wiki.example.test"
policy = "one_factor"

[[rules]]
domain = "*.example.test"
resources = ["^/api/"]
policy = "one_factor"
app_passwords = true
"#;

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

async fn gate() -> TestApp {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.access_rules = Arc::new(AccessRules::parse(RULES).unwrap());
    config.settings.public_url = "https://auth.example.test".into();
    let mut app = spawn_app_with(config).await;
    app.keep_folder(folder);
    app
}

/// Registers `name` (signed in, recently, on the returned client).
async fn person(app: &TestApp, name: &str) -> Client {
    let c = app.new_client();
    app.register(&c, name, PASSWORD).await;
    c
}

/// A new app password of the client's account: (secret, id).
async fn create(app: &TestApp, c: &Client, name: &str, days: &str, hosts: &str) -> (String, i64) {
    let r = app.post(c, "app-passwords/create", &[("name", name), ("days", days), ("hosts", hosts)]).await;
    assert_eq!(r.status(), StatusCode::OK, "created");
    let body: Value = r.json().await.unwrap();
    (body["app_password"].as_str().unwrap().to_owned(), body["id"].as_i64().unwrap())
}

fn basic(username: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{secret}")))
}

fn bearer(secret: &str) -> String {
    format!("Bearer {secret}")
}

/// Asks `/api/authz/forward-auth` about GET `url` with `authorization`, as a script (no cookie).
async fn forward_auth(app: &TestApp, url: &str, authorization: &str, accept: &str) -> reqwest::Response {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, uri) = rest.split_at(rest.find('/').unwrap());
    crate::helpers::client()
        .get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", scheme)
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
        .header("x-forwarded-method", "GET")
        .header(header::ACCEPT, accept)
        .header(header::AUTHORIZATION, authorization)
        .send()
        .await
        .unwrap()
}

async fn status(app: &TestApp, url: &str, authorization: &str) -> StatusCode {
    forward_auth(app, url, authorization, "application/json").await.status()
}

/// Asks `/api/authz/auth-request` (nginx) about GET `url` with `authorization`.
async fn auth_request(app: &TestApp, url: &str, authorization: &str) -> reqwest::Response {
    crate::helpers::client()
        .get(app.url("/api/authz/auth-request"))
        .header("x-original-url", url)
        .header("x-original-method", "GET")
        .header(header::ACCEPT, "application/json")
        .header(header::AUTHORIZATION, authorization)
        .send()
        .await
        .unwrap()
}

fn remote(r: &reqwest::Response) -> [String; 4] {
    ["remote-user", "remote-groups", "remote-name", "remote-email"]
        .map(|h| r.headers().get(h).unwrap_or_else(|| panic!("{h} missing")).to_str().unwrap().to_owned())
}

#[tokio::test]
async fn basic_and_bearer_pass_as_their_owner_only_where_a_rule_allows_app_passwords() {
    let app = gate().await;
    let c = person(&app, "alice").await;
    app.operator(&["user", "groups", "alice", "dev,ops"]);
    app.operator(&["user", "set", "alice", "--name", "Alice A", "--email", "alice@example.test"]);
    let (secret, _) = create(&app, &c, "sync", "", "").await;
    assert!(secret.starts_with("ap_"), "{secret}");
    let api = "https://app.example.test/api/items?x=1";

    // A two_factor rule that allows app passwords takes one, although alice has no 2FA.
    for authorization in [basic("alice", &secret), basic("ALICE", &secret), bearer(&secret)] {
        let r = forward_auth(&app, api, &authorization, "application/json").await;
        assert_eq!(r.status(), StatusCode::OK, "{authorization}");
        assert_eq!(remote(&r), ["alice", "dev,ops", "Alice A", "alice@example.test"]);
        let r = auth_request(&app, api, &authorization).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(remote(&r)[0], "alice");
    }
    // Any subdomain's /api/ (a one_factor rule that allows them).
    assert_eq!(status(&app, "https://notes.example.test/api/", &bearer(&secret)).await, StatusCode::OK);

    // Where no rule allows them, the header is as if absent: 401 for a script, the portal for a
    // browser.
    for url in ["https://wiki.example.test/", "https://app.example.test/home", "https://notes.example.test/"] {
        assert_eq!(status(&app, url, &bearer(&secret)).await, StatusCode::UNAUTHORIZED, "{url}");
        assert_eq!(status(&app, url, &basic("alice", &secret)).await, StatusCode::UNAUTHORIZED, "{url}");
        let r = forward_auth(&app, url, &bearer(&secret), BROWSER).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}");
    }
    // A deny rule refuses the owner as any visitor; a rule with subjects she is not among: as if
    // absent.
    assert_eq!(status(&app, "https://app.example.test/closed/x", &bearer(&secret)).await, StatusCode::FORBIDDEN);
    assert_eq!(status(&app, "https://app.example.test/admin/", &bearer(&secret)).await, StatusCode::UNAUTHORIZED);
    app.operator(&["user", "groups", "alice", "admins"]);
    let r = forward_auth(&app, "https://app.example.test/admin/", &bearer(&secret), "*/*").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(remote(&r)[1], "admins");

    // Someone else's username with alice's app password, a password as Basic, a wrong secret.
    app.register(&app.new_client(), "bob", PASSWORD).await;
    assert_eq!(status(&app, api, &basic("bob", &secret)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&app, api, &basic("alice", PASSWORD)).await, StatusCode::UNAUTHORIZED);
    let mut wrong = secret.clone();
    wrong.replace_range(34.., if secret.ends_with('0') { "1" } else { "0" });
    assert_eq!(status(&app, api, &bearer(&wrong)).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn made_only_with_a_recent_sign_in_and_shown_once() {
    let app = gate().await;
    let c = person(&app, "alice").await;
    app.advance(11 * 60);
    let r = app.post(&c, "app-passwords/create", &[("name", "late"), ("days", ""), ("hosts", "")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a sign-in older than 10 minutes is not enough");
    let anonymous = app.new_client();
    let r = app.post(&anonymous, "app-passwords/create", &[("name", "x")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.reauthenticate(&c, PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    for (name, days, hosts) in [("", "", ""), (&*"x".repeat(65), "", ""), ("ok", "0", ""), ("ok", "", "http://a/")] {
        let r = app.post(&c, "app-passwords/create", &[("name", name), ("days", days), ("hosts", hosts)]).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{name:?} {days:?} {hosts:?}");
    }

    // Without JavaScript: a 303 back to the page, which shows it once.
    let r = app
        .form_post(&c, "app-passwords/create", &[("name", "Phone"), ("days", "30"), ("hosts", "app.example.test")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/account/apps");
    let page = c.get(app.url("/account/apps")).send().await.unwrap().text().await.unwrap();
    let shown = page.find("ap_").map(|at| page[at..at + 35].to_owned()).expect("the new app password is shown");
    let stored: String = sqlx::query_scalar("SELECT hash FROM app_passwords").fetch_one(&app.db).await.unwrap();
    assert!(!stored.contains(&shown[3..]), "the stored form is not the secret");
    assert_eq!(status(&app, "https://app.example.test/api/", &bearer(&shown)).await, StatusCode::OK);
    let again = c.get(app.url("/account/apps")).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains(&shown), "shown once");
    assert!(again.contains("Phone") && again.contains("Revoke Phone") && again.contains("app.example.test"));
    let listed = c.post(app.url("/api/ui/apps")).send().await.unwrap().text().await.unwrap();
    assert!(listed.contains("Phone") && !listed.contains(&shown) && !listed.contains("ap_"), "{listed}");
}

#[tokio::test]
async fn a_revoked_one_is_refused_at_once_and_only_its_owner_revokes_it() {
    let app = gate().await;
    let c = person(&app, "alice").await;
    let (secret, id) = create(&app, &c, "sync", "", "").await;
    let (other, _) = create(&app, &c, "other", "", "").await;
    let api = "https://app.example.test/api/";
    assert_eq!(status(&app, api, &bearer(&secret)).await, StatusCode::OK);
    let bob = person(&app, "bob").await;
    let r = app.post(&bob, "app-passwords/revoke", &[("id", &id.to_string())]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not bob's");
    assert_eq!(status(&app, api, &bearer(&secret)).await, StatusCode::OK);
    let r = app.post(&c, "app-passwords/revoke", &[("id", &id.to_string())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!({}));
    assert_eq!(status(&app, api, &bearer(&secret)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&app, api, &basic("alice", &secret)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&app, api, &bearer(&other)).await, StatusCode::OK, "the others stay");
    let r = app.post(&c, "app-passwords/revoke", &[("id", &id.to_string())]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "revoked already");
    let logged: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, key_name FROM security_events WHERE kind LIKE 'app_password.%' ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let created = ("app_password.created".to_owned(), Some("sync".to_owned()));
    let revoked = ("app_password.revoked".to_owned(), Some("sync".to_owned()));
    assert_eq!(logged[0], created);
    assert_eq!(logged.last(), Some(&revoked));
}

#[tokio::test]
async fn an_expired_one_or_one_for_another_host_is_refused_and_its_use_is_recorded() {
    let app = gate().await;
    let c = person(&app, "alice").await;
    let (day, _) = create(&app, &c, "a day", "1", "").await;
    let (limited, _) = create(&app, &c, "limited", "", "app.example.test, *.ops.example.test").await;
    assert_eq!(status(&app, "https://app.example.test/api/", &bearer(&limited)).await, StatusCode::OK);
    assert_eq!(status(&app, "https://x.ops.example.test/api/", &bearer(&limited)).await, StatusCode::OK);
    assert_eq!(status(&app, "https://notes.example.test/api/", &bearer(&limited)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&app, "https://notes.example.test/api/", &bearer(&day)).await, StatusCode::OK);
    let (at, from): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT last_used_at, last_used_from FROM app_passwords WHERE name = 'a day'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(at.is_some());
    assert_eq!(from.as_deref(), Some("127.0.0.1"));
    app.advance(24 * 60 * 60 + 1);
    assert_eq!(status(&app, "https://notes.example.test/api/", &bearer(&day)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&app, "https://app.example.test/api/", &bearer(&limited)).await, StatusCode::OK);
}

#[tokio::test]
async fn wrong_ones_count_as_wrong_passwords_and_a_throttled_request_is_refused_unchecked() {
    let app = gate().await;
    let c = person(&app, "alice").await;
    let (secret, _) = create(&app, &c, "sync", "", "").await;
    let api = "https://app.example.test/api/";
    for n in 0..10 {
        let guess = format!("ap_{:0>32}", n);
        assert_eq!(status(&app, api, &basic("alice", &guess)).await, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    // Ten wrong: the username waits 30 s, even for the right app password and the password.
    let r = forward_auth(&app, api, &basic("alice", &secret), "application/json").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    let r = app.login(&app.new_client(), "alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the same throttle as the sign-in's");
    // A Bearer names no username: only the address's limit applies to it.
    assert_eq!(status(&app, api, &bearer(&secret)).await, StatusCode::OK);
    app.advance(31);
    assert_eq!(status(&app, api, &basic("alice", &secret)).await, StatusCode::OK);
    // Wrong passwords at the sign-in count against app passwords too.
    for _ in 0..10 {
        app.login(&app.new_client(), "alice", "wrong password").await;
    }
    assert_eq!(status(&app, api, &basic("alice", &secret)).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_operators_reset_of_two_factor_turning_it_off_or_disabling_revokes_them_all() {
    let app = gate().await;
    let api = "https://app.example.test/api/";
    let (key, _codes) = app.user_with_two_factor("alice", PASSWORD).await;
    let c = app.new_client();
    app.login(&c, "alice", PASSWORD).await;
    app.advance(30);
    assert_eq!(app.submit_code(&c, &app.code(&key, 0)).await.status(), StatusCode::OK);
    let (first, _) = create(&app, &c, "one", "", "").await;
    assert_eq!(status(&app, api, &bearer(&first)).await, StatusCode::OK);
    app.operator(&["user", "reset-2fa", "alice"]);
    assert_eq!(status(&app, api, &bearer(&first)).await, StatusCode::UNAUTHORIZED, "an operator's 2FA reset");

    let c = person(&app, "bob").await;
    let (second, _) = create(&app, &c, "two", "", "").await;
    let r = app.start_setup(&c).await;
    let secret = r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.confirm_setup(&c, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    assert_eq!(status(&app, api, &bearer(&second)).await, StatusCode::OK, "turning 2FA on keeps them");
    app.advance(30);
    assert_eq!(app.disable_two_factor(&c, PASSWORD, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    assert_eq!(status(&app, api, &bearer(&second)).await, StatusCode::UNAUTHORIZED, "2FA turned off");

    let c = person(&app, "carol").await;
    let (third, _) = create(&app, &c, "three", "", "").await;
    app.operator(&["user", "disable", "carol"]);
    assert_eq!(status(&app, api, &bearer(&third)).await, StatusCode::UNAUTHORIZED, "disabled");
    app.operator(&["user", "enable", "carol"]);
    assert_eq!(status(&app, api, &bearer(&third)).await, StatusCode::UNAUTHORIZED, "and still revoked");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_passwords").fetch_one(&app.db).await.unwrap();
    assert_eq!(left, 0);
}

const PROXIED_RULES: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "app.example.test"
resources = ["^/api/"]
policy = "one_factor"
app_passwords = true
"#;

async fn through(kind: ProxyKind) {
    let upstream = Upstream::start().await;
    let site = Site { hosts: vec![APP_HOST.into()], upstream: upstream.address.clone() };
    let proxied = Proxied::start_with(kind, PROXIED_RULES, vec![site], upstream).await;
    let app = &proxied.app;
    let c = proxied.client();
    app.register(&c, "alice", PASSWORD).await;
    let (secret, id) = create(app, &c, "script", "", "").await;
    let script = proxied.client();
    for authorization in [basic("alice", &secret), bearer(&secret)] {
        let r = script
            .get(proxied.app_url("/api/items"))
            .header(header::AUTHORIZATION, &authorization)
            .header("remote-user", "admin")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{kind:?}: {authorization}");
        let echo: crate::helpers::proxies::Echo = r.json().await.unwrap();
        let users: Vec<String> = echo.values("remote-user").into_iter().filter(|v| !v.is_empty()).collect();
        assert_eq!(users, ["alice"], "{kind:?}");
        let r =
            script.get(proxied.app_url("/home")).header(header::AUTHORIZATION, &authorization).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind:?}: not on a rule without app_passwords");
    }
    let r = app.post(&c, "app-passwords/revoke", &[("id", &id.to_string())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r =
        script.get(proxied.app_url("/api/items")).header(header::AUTHORIZATION, bearer(&secret)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind:?}: revoked");
}

#[tokio::test]
async fn through_nginx() {
    through(ProxyKind::Nginx).await;
}

#[tokio::test]
async fn through_caddy() {
    through(ProxyKind::Caddy).await;
}

/// The README's example rule parses, and takes app passwords on the sync API only.
#[tokio::test]
async fn the_readmes_example_takes_app_passwords_on_the_api_only() {
    let rules = AccessRules::parse(&crate::helpers::proxies::readme_block("app passwords")).unwrap();
    let target =
        |path: &str| domain::access_rules::Target::parse(&format!("https://cloud.example.com{path}"), "GET").unwrap();
    assert!(rules.may_take_app_passwords(&target("/ocs/v2.php/cloud/user"), None));
    assert!(rules.may_take_app_passwords(&target("/remote.php/dav/files/alice/"), None));
    assert!(!rules.may_take_app_passwords(&target("/index.php/apps/files"), None));
    assert!(!rules.may_take_app_passwords(&target("/remoteXphp/"), None));
}

/// With JavaScript on (a form sent in the page): the JSON answer, the page to move to, and that
/// page shows the new app password once.
#[tokio::test]
async fn sent_in_the_page_it_is_shown_once_on_the_next_page() {
    let app = gate().await;
    let c = person(&app, "alice").await;
    let r = c
        .post(app.url("/api/app-passwords/create"))
        .header(header::ACCEPT, "application/json")
        .header("x-in-page", "1")
        .form(&[("name", "Tablet"), ("days", ""), ("hosts", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-next-page"], "/account/apps");
    let secret = r.json::<Value>().await.unwrap()["app_password"].as_str().unwrap().to_owned();
    let page = c.get(app.url("/account/apps")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&secret), "the next page shows it");
    let again = c.get(app.url("/account/apps")).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains(&secret) && again.contains("Revoke Tablet"));
}
