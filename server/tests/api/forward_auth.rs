//! The forward-auth gate (`docs/contract/forward-auth.md`): every row of the contract's
//! table, through both endpoints, asked as a proxy would ask (headers describing the target, the
//! visitor's cookie passed along).

use crate::helpers::{client, fresh_database_url, spawn_app_with, test_config, TestApp};
use domain::access_rules::AccessRules;
use reqwest::{header, Client, RequestBuilder, StatusCode};
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
    gate_with_rules(RULES, cookie_domain).await
}

/// The gate with the access rules `rules` (TOML), and `COOKIE_DOMAIN=example.test` when
/// `cookie_domain`.
async fn gate_with_rules(rules: &str, cookie_domain: bool) -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.access_rules = Arc::new(AccessRules::parse(rules).unwrap());
    config.settings.cookie_domain = cookie_domain.then(|| "example.test".to_owned());
    config.settings.public_url = "https://auth.example.test".into();
    (spawn_app_with(config).await, folder)
}

async fn gate() -> (TestApp, tempfile::TempDir) {
    gate_with(true).await
}

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// The question Traefik and Caddy ask `/api/authz/forward-auth` about `method url`, with
/// `http_method` (GET or HEAD), before any header of the visitor's.
fn forwarded(app: &TestApp, c: &Client, http_method: reqwest::Method, method: &str, url: &str) -> RequestBuilder {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, uri) = rest.split_at(rest.find('/').unwrap());
    c.request(http_method, app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", scheme)
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
        .header("x-forwarded-method", method)
}

/// Asks `/api/authz/forward-auth` (Traefik, Caddy) about `method url`.
async fn forward_auth(app: &TestApp, c: &Client, method: &str, url: &str, accept: &str) -> reqwest::Response {
    forwarded(app, c, reqwest::Method::GET, method, url).header(header::ACCEPT, accept).send().await.unwrap()
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
    let scripted = forwarded(&app, &c, reqwest::Method::GET, "GET", "https://app.example.test/")
        .header(header::ACCEPT, BROWSER)
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), StatusCode::UNAUTHORIZED);
}

/// The rest of the contract's table: 302 for every safe method, `no-store` on every answer, 400
/// for a target scheme other than http(s) on both endpoints, and `auth-request` on a `bypass`
/// rule giving the four headers empty.
#[tokio::test]
async fn every_answer_is_uncached_and_every_safe_method_gets_302() {
    let (app, _folder) = gate_with(false).await;
    let c = client();
    for method in ["GET", "HEAD", "OPTIONS"] {
        let r = forward_auth(&app, &c, method, "https://app.example.test/", BROWSER).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{method}");
    }
    for method in ["PUT", "DELETE", "PATCH"] {
        let r = forward_auth(&app, &c, method, "https://app.example.test/", BROWSER).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{method}");
    }
    let bad_scheme = forward_auth(&app, &c, "GET", "ftp://app.example.test/", BROWSER).await;
    let r = auth_request(&app, &c, "GET", "https://status.example.test/", BROWSER).await;
    assert_eq!(r.status(), StatusCode::OK, "bypass, through nginx's endpoint");
    assert_eq!(remote(&r), ["", "", "", ""].map(String::from), "all four present, empty");
    let answers = [
        (bad_scheme, StatusCode::BAD_REQUEST),
        (auth_request(&app, &c, "GET", "ftp://app.example.test/", BROWSER).await, StatusCode::BAD_REQUEST),
        (r, StatusCode::OK),
        (forward_auth(&app, &c, "GET", "https://secret.example.test/", BROWSER).await, StatusCode::FORBIDDEN),
        (forward_auth(&app, &c, "GET", "https://app.example.test/", "*/*").await, StatusCode::UNAUTHORIZED),
        (auth_request(&app, &c, "GET", "https://app.example.test/", BROWSER).await, StatusCode::UNAUTHORIZED),
    ];
    for (answer, status) in answers {
        assert_eq!(answer.status(), status);
        assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store", "{status}");
    }
    app.register(&c, "alice", "correct horse").await;
    let r = forward_auth(&app, &c, "GET", "https://wiki.example.test/", "*/*").await;
    assert_eq!((r.status(), r.headers()[header::CACHE_CONTROL].to_str().unwrap()), (StatusCode::OK, "no-store"));
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
    let foreign = auth_request(&app, &c, "GET", "https://elsewhere.test/", BROWSER).await;
    let (_, said) = crate::helpers::json(foreign).await;
    assert!(said["error"].as_str().unwrap().contains("outside COOKIE_DOMAIN"), "{said}");
    // The operator setting up the proxy is told what it must send.
    let missing = c.get(app.url("/api/authz/forward-auth")).header(header::ACCEPT, BROWSER).send().await.unwrap();
    let (status, said) = crate::helpers::json(missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(said["error"].as_str().unwrap().contains("X-Forwarded-Host"), "{said}");
    let no_method = c
        .get(app.url("/api/authz/auth-request"))
        .header("x-original-url", "https://app.example.test/")
        .send()
        .await
        .unwrap();
    let (status, said) = crate::helpers::json(no_method).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(said["error"].as_str().unwrap().contains("X-Original-URL"), "{said}");
    let head = forwarded(&app, &c, reqwest::Method::HEAD, "GET", "https://status.example.test/").send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK, "HEAD is answered too");
}

// --- `rd`: the portal sends the visitor back to the app that asked ------------------------

fn location(r: &reqwest::Response) -> String {
    r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn a_sign_in_ends_on_a_valid_rd_and_ignores_any_other() {
    let (app, _folder) = gate().await;
    app.register(&client(), "alice", "correct horse").await;
    let sign_in = |rd: &'static str| {
        let app = &app;
        async move {
            let form = [("username", "alice"), ("password", "correct horse"), ("rd", rd)];
            app.form_post(&client(), "login", &form).await
        }
    };
    // one_factor target: straight there, query string and all.
    assert_eq!(
        location(&sign_in("https://wiki.example.test/page?x=1&y=2").await),
        "https://wiki.example.test/page?x=1&y=2"
    );
    // two_factor target, 2FA off: through the setup first.
    assert_eq!(
        location(&sign_in("https://app.example.test/").await),
        "/account/2fa/setup?rd=https%3A%2F%2Fapp.example.test%2F"
    );
    for bad in [
        "https://evil.test/",
        "https://example.test.evil.test/",
        "//evil.test/",
        "/\\evil.test",
        "https://alice@wiki.example.test/",
        "javascript:alert(1)",
        "https:%2F%2Fevil.test",
    ] {
        assert_eq!(location(&sign_in(bad).await), "/account", "{bad:?} must be ignored");
    }
    // With JavaScript: the same destination, named for the page's script.
    let r = app
        .post(
            &client(),
            "login",
            &[("username", "alice"), ("password", "correct horse"), ("rd", "https://wiki.example.test/")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let in_page = client()
        .post(app.url("/api/login"))
        .header(header::ACCEPT, "application/json")
        .header("x-in-page", "1")
        .form(&[("username", "alice"), ("password", "correct horse"), ("rd", "https://wiki.example.test/")])
        .send()
        .await
        .unwrap();
    assert_eq!(in_page.headers()["x-next-page"], "https://wiki.example.test/");
}

/// The portal decides "two factors first" for `rd` as the gate will: with the account's groups.
/// A group's `two_factor` rule sends its member with 2FA off through the setup (else the gate
/// would send them back to `/login`, which would send them to `rd`: a loop), and no one else.
#[tokio::test]
async fn a_group_rule_that_needs_two_factors_sends_its_members_through_the_setup() {
    let rules = "default_policy = \"one_factor\"\n\n[[rules]]\ndomain = \"ops.example.test\"\nsubject = \"group:admins\"\npolicy = \"two_factor\"\n";
    let (app, _folder) = gate_with_rules(rules, true).await;
    app.register(&client(), "alice", "correct horse").await;
    app.register(&client(), "bob", "correct horse").await;
    app.operator(&["user", "groups", "alice", "admins"]);
    let sign_in = |who: &'static str| {
        let app = &app;
        async move {
            let form = [("username", who), ("password", "correct horse"), ("rd", "https://ops.example.test/")];
            app.form_post(&client(), "login", &form).await
        }
    };
    let r = sign_in("alice").await;
    assert_eq!(location(&r), "/account/2fa/setup?rd=https%3A%2F%2Fops.example.test%2F", "an admin: the setup first");
    assert_eq!(location(&sign_in("bob").await), "https://ops.example.test/", "not an admin: one factor is enough");

    // Signed in already and sent to /login again (the gate's redirect): the same decision. The
    // cookie is for example.test, so it is handed over as a proxy would.
    let cookie = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("session="))
        .expect("the session cookie");
    let again = |url: String| client().get(url).header(header::COOKIE, &cookie).send();
    let r = again(app.url("/login?rd=https%3A%2F%2Fops.example.test%2F")).await.unwrap();
    assert_eq!(location(&r), "/account/2fa/setup?rd=https%3A%2F%2Fops.example.test%2F");
    let r = forwarded(&app, &client(), reqwest::Method::GET, "GET", "https://ops.example.test/")
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "and the gate agrees: not with one factor");
}

/// Without JavaScript, a `two_factor` target and an account with 2FA off: the sign-in goes to
/// the setup, which names the site that asks; the confirm (after one wrong code) shows the
/// recovery codes once, then a link on to the site.
#[tokio::test]
async fn the_setup_asked_for_by_a_site_ends_with_a_link_to_it() {
    // Without COOKIE_DOMAIN the portal's own host is a valid rd (the test client keeps cookies).
    let (app, _folder) = gate_with(false).await;
    app.register(&client(), "alice", "correct horse").await;
    let c = client();
    let rd = "https://auth.example.test/welcome";
    let r = app.form_post(&c, "login", &[("username", "alice"), ("password", "correct horse"), ("rd", rd)]).await;
    let setup = location(&r);
    assert_eq!(setup, "/account/2fa/setup?rd=https%3A%2F%2Fauth.example.test%2Fwelcome");
    let page = c.get(app.url(&setup)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"asked-by\""), "the setup names the site that asks");
    assert!(page.contains("auth.example.test"), "{page}");
    let secret = crate::helpers::setup_key_from_page(&page);
    let r = app.form_post(&c, "2fa/confirm", &[("otp", "000000"), ("rd", rd)]).await;
    assert_eq!(location(&r), setup, "a wrong code: back to the setup, still asked for");
    let r = app.form_post(&c, "2fa/confirm", &[("otp", &app.code(&secret, 0)), ("rd", rd)]).await;
    let account = location(&r);
    assert_eq!(account, "/account?rd=https%3A%2F%2Fauth.example.test%2Fwelcome");
    let page = c.get(app.url(&account)).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("<li><code>").count(), 10, "the recovery codes, once");
    assert!(page.contains("id=\"continue-to\" href=\"https://auth.example.test/welcome\""), "{page}");
}

#[tokio::test]
async fn the_code_step_and_an_earlier_sign_in_follow_rd_and_logout_takes_one_too() {
    // Without COOKIE_DOMAIN, rd may be a path of the portal (the test client keeps its cookie).
    let (app, _folder) = gate_with(false).await;
    let (secret, _) = app.user_with_two_factor("bob", "correct horse").await;
    let c = client();
    let form = [("username", "bob"), ("password", "correct horse"), ("rd", "/account?from=app")];
    let r = app.form_post(&c, "login", &form).await;
    assert_eq!(location(&r), "/login/2fa?rd=%2Faccount%3Ffrom%3Dapp", "rd is carried to the code step");
    let r = app.form_post(&c, "login/2fa", &[("otp", &app.code(&secret, 1)), ("rd", "/account?from=app")]).await;
    assert_eq!(location(&r), "/account?from=app");
    // Already signed in: /login with a valid rd goes there at once.
    let r = c.get(app.url("/login?rd=%2Faccount%3Fagain")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/account?again");
    // An invalid one is ignored: the sign-in page.
    assert_eq!(c.get(app.url("/login?rd=%2F%2Fevil.test")).send().await.unwrap().status(), StatusCode::OK);
    let r = app.form_post(&c, "logout", &[("rd", "/register")]).await;
    assert_eq!(location(&r), "/register");
    let r = app.form_post(&client(), "logout", &[("rd", "https://evil.test/")]).await;
    assert_eq!(location(&r), "/login");
}

// --- Who the apps behind the gate are told about --------------------------------------------

#[tokio::test]
async fn the_remote_headers_carry_the_profile_and_the_groups() {
    let (app, _folder) = gate_with(false).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    // The operator's groups (as `server user groups` sets them), before the first check.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'alice'").fetch_one(&app.db).await.unwrap();
    domain::storage::accounts::set_groups(&app.db, id, &["admins".into(), "dev".into()]).await.unwrap();
    let r = app.post(&c, "profile", &[("display_name", "Alice Liddell"), ("email", "alice@example.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = forward_auth(&app, &c, "GET", "https://wiki.example.test/", "*/*").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(remote(&r), ["alice", "admins,dev", "Alice Liddell", ""].map(String::from), "an unverified address");
    let (status, body) =
        crate::helpers::json(app.post(&c, "profile", &[("display_name", "A"), ("email", "not an email")]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(app.post(&client(), "profile", &[("display_name", "X")]).await.status(), StatusCode::UNAUTHORIZED);
}

/// Apps may take `Remote-Email` as the person's address: one the person typed is not passed on
/// (the header is there, empty), one the operator set is, and the person changing it makes it
/// unverified again at once (the identity the gate keeps in memory is forgotten). A new display
/// name alone keeps the verified address.
#[tokio::test]
async fn remote_email_carries_only_an_address_the_operator_set() {
    let (app, _folder) = gate_with(false).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let emails = || async {
        let forward = forward_auth(&app, &c, "GET", "https://wiki.example.test/", "*/*").await;
        let nginx = auth_request(&app, &c, "GET", "https://wiki.example.test/", "*/*").await;
        assert_eq!((forward.status(), nginx.status()), (StatusCode::OK, StatusCode::OK));
        [remote(&forward)[3].clone(), remote(&nginx)[3].clone()]
    };
    let r = app.post(&c, "profile", &[("display_name", ""), ("email", "alice@example.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(emails().await, ["", ""], "typed by the person: not verified, not passed on");

    app.operator(&["user", "set", "alice", "--email", "alice@example.test"]);
    assert_eq!(emails().await, ["alice@example.test", "alice@example.test"], "set by the operator: verified");
    let r = app.post(&c, "profile", &[("display_name", "Alice"), ("email", "alice@example.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(emails().await[0], "alice@example.test", "a new display name keeps the verified address");

    let r = app.post(&c, "profile", &[("display_name", "Alice"), ("email", "alice@elsewhere.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(emails().await, ["", ""], "changed by the person: not verified any more, at once");
}

/// The operator's command line, run beside the server on the same database: the gate's next
/// answer already follows it, though the server keeps who is signed in in memory (SQLite).
#[tokio::test]
async fn operator_commands_change_the_gates_next_answer() {
    let (app, _folder) = gate_with(false).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let check = || forward_auth(&app, &c, "GET", "https://wiki.example.test/", "*/*");
    let r = check().await;
    assert_eq!((r.status(), remote(&r)[1].as_str()), (StatusCode::OK, ""), "kept in memory from now on");
    app.operator(&["user", "groups", "alice", "admins"]);
    let r = check().await;
    assert_eq!((r.status(), remote(&r)[1].as_str()), (StatusCode::OK, "admins"), "the new groups, at once");
    app.operator(&["user", "set", "alice", "--name", "Alice Liddell"]);
    assert_eq!(remote(&check().await)[2], "Alice Liddell", "the new name, at once");
    app.operator(&["user", "groups", "alice", "dev"]);
    app.operator(&["user", "groups", "alice", "ops"]);
    assert_eq!(remote(&check().await)[1], "ops", "two commands back to back: the last one");
    app.operator(&["user", "delete", "alice"]);
    assert_eq!(check().await.status(), StatusCode::UNAUTHORIZED, "a deleted account is signed out at once");
}

#[tokio::test]
async fn a_rule_for_a_group_lets_its_members_through_and_no_one_else() {
    let rules = "default_policy = \"deny\"\n\n[[rules]]\ndomain = \"ops.example.test\"\nsubject = \"group:admins\"\npolicy = \"one_factor\"\n";
    let (app, _folder) = gate_with_rules(rules, false).await;
    let (admin, other) = (client(), client());
    app.register(&admin, "alice", "correct horse").await;
    app.register(&other, "bob", "correct horse").await;
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'alice'").fetch_one(&app.db).await.unwrap();
    domain::storage::accounts::set_groups(&app.db, id, &["admins".into()]).await.unwrap();
    assert_eq!(forward_auth(&app, &admin, "GET", "https://ops.example.test/", "*/*").await.status(), 200);
    assert_eq!(forward_auth(&app, &other, "GET", "https://ops.example.test/", "*/*").await.status(), 403);
    assert_eq!(
        forward_auth(&app, &client(), "GET", "https://ops.example.test/", "*/*").await.status(),
        401,
        "sign in first"
    );
}

/// A check asked on every request to every app behind the gate writes nothing: the session's
/// expiry (the idle timeout) moves at most once a minute, however many checks come.
#[tokio::test]
async fn checks_write_nothing_and_move_the_idle_expiry_at_most_once_a_minute() {
    let (app, _folder) = gate_with(false).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let expiry =
        || async { sqlx::query_scalar::<_, i64>("SELECT expires_at FROM sessions").fetch_all(&app.db).await.unwrap() };
    let before = expiry().await;
    assert_eq!(before.len(), 1, "one session");
    app.advance(30);
    for _ in 0..50 {
        let r = forward_auth(&app, &c, "GET", "https://wiki.example.test/", "*/*").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get(header::SET_COOKIE).is_none(), "no cookie is set by a check");
    }
    assert_eq!(expiry().await, before, "fifty checks within the minute wrote nothing");
    app.advance(31);
    assert_eq!(forward_auth(&app, &c, "GET", "https://wiki.example.test/", "*/*").await.status(), StatusCode::OK);
    let after = expiry().await;
    assert!(after[0] > before[0], "a minute on, a check moves the idle expiry once");
}
