//! The operator's console and invitations (`docs/contract/console.md`): who may reach it, that a
//! disabled account loses every way in, that an invitation link is used at most once (even by
//! several at the same moment), and that the service keeps an administrator.

use crate::helpers::{fresh_database_url, json, spawn_app, spawn_app_with, test_config, TestApp};
use reqwest::{header, Client, StatusCode};

const PASSWORD: &str = "correct horse battery";

/// A client signed in with both factors to `username`, made an administrator by the operator's
/// command line first when `admin`.
async fn signed_in_with_two_factors(app: &TestApp, username: &str, admin: bool) -> Client {
    let (secret, _) = app.user_with_two_factor(username, PASSWORD).await;
    if admin {
        app.operator(&["user", "set", username, "--groups", "admins"]);
    }
    let c = app.pending_client(username, PASSWORD).await;
    assert_eq!(app.submit_code(&c, &app.code(&secret, 1)).await.status(), StatusCode::OK);
    c
}

async fn page(app: &TestApp, c: &Client, path: &str) -> (StatusCode, String) {
    let answer = c.get(app.url(path)).send().await.unwrap();
    (answer.status(), answer.text().await.unwrap())
}

#[tokio::test]
async fn the_console_is_a_404_to_anyone_but_an_administrator_signed_in_with_two_factors() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    let member = signed_in_with_two_factors(&app, "mallory", false).await;
    let password_only = app.new_client();
    app.register(&password_only, "eve", PASSWORD).await;
    app.operator(&["user", "set", "eve", "--groups", "admins"]);

    let (status, html) = page(&app, &admin, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    for heading in ["People", "Invitations", "Apps", "Access rules", "Search people"] {
        assert!(html.contains(heading), "{heading} missing from the console");
    }
    let (status, person) = page(&app, &admin, "/admin/people/mallory").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        person.contains("id=\"person-sessions\"") && !person.contains("No session is signed in."),
        "her session is listed"
    );
    assert!(
        page(&app, &admin, "/account").await.1.contains("href=\"/admin\""),
        "an administrator's header links to it"
    );
    assert!(!page(&app, &member, "/account").await.1.contains("href=\"/admin\""), "nobody else's does");

    for (who, c) in [
        ("anonymous", &app.new_client()),
        ("a member of no group", &member),
        ("an admin on a password alone", &password_only),
    ] {
        for path in ["/admin", "/admin/people/root", "/admin/people/nobody"] {
            let (status, html) = page(&app, c, path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who} on {path}");
            assert!(!html.contains("Search people"), "{who} on {path} sees the console");
        }
        let (status, body) = json(app.post(c, "admin/people/disable", &[("username", "root")]).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {body}");
        let (status, _) = json(app.post(c, "admin/invitations/create", &[("groups", "admins")]).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations").fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_its_sign_in_and_the_gate_at_once() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    let bob = app.new_client();
    app.register(&bob, "bob", PASSWORD).await;
    assert_eq!(app.me(&bob).await.status(), StatusCode::OK);

    let (status, body) = json(app.post(&admin, "admin/people/disable", &[("username", "bob")]).await).await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!({})));

    assert_eq!(app.me(&bob).await.status(), StatusCode::UNAUTHORIZED);
    let gate = bob
        .get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "app.example.com")
        .header("x-forwarded-uri", "/")
        .header("x-forwarded-method", "GET")
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(gate.status(), StatusCode::UNAUTHORIZED);
    // The same words as a wrong password.
    let (status, refused) = json(app.login(&app.new_client(), "bob", PASSWORD).await).await;
    let (_, wrong) = json(app.login(&app.new_client(), "bob", "not the password at all").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused, wrong);

    let (status, _) = json(app.post(&admin, "admin/people/enable", &[("username", "bob")]).await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = json(app.login(&app.new_client(), "bob", PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);

    let logged: Vec<String> = sqlx::query_scalar("SELECT action FROM admin_log WHERE admin = 'root' ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(logged, ["person.disabled", "person.enabled"]);
}

#[tokio::test]
async fn console_changes_need_a_recent_sign_in() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    let bob = app.new_client();
    app.register(&bob, "bob", PASSWORD).await;
    app.advance(11 * 60);
    let (status, _) = json(app.post(&admin, "admin/people/disable", &[("username", "bob")]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&bob).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_last_administrator_cannot_disable_ungroup_or_delete_themselves() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    for (endpoint, form) in [
        ("admin/people/disable", vec![("username", "root")]),
        ("admin/people/groups", vec![("username", "root"), ("groups", "staff")]),
        ("admin/people/delete", vec![("username", "root"), ("confirm", "root")]),
    ] {
        let (status, body) = json(app.post(&admin, endpoint, &form).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{endpoint}: {body}");
    }
    assert_eq!(app.me(&admin).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_asks_for_the_username_typed_exactly() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    app.register(&app.new_client(), "bob", PASSWORD).await;
    let (status, _) =
        json(app.post(&admin, "admin/people/delete", &[("username", "bob"), ("confirm", "bo")]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        json(app.post(&admin, "admin/people/delete", &[("username", "bob"), ("confirm", "bob")]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(app.login(&app.new_client(), "bob", PASSWORD).await).await.0, StatusCode::UNAUTHORIZED);
}

/// The token of an invitation link the command line printed.
fn invitation_token(app: &TestApp, args: &[&str]) -> String {
    let output = crate::helpers::operator_output(&app.database_url, args, "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let link = String::from_utf8(output.stdout).unwrap();
    link.trim().rsplit_once("/invite/").expect("a link").1.to_owned()
}

/// A server whose registration is closed (the folder keeps its SQLite file).
async fn closed_app() -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.registration_open = false;
    (spawn_app_with(config).await, folder)
}

/// Posts the invitation's form as a fresh browser would.
async fn use_invitation(app: &TestApp, token: &str, username: &str) -> StatusCode {
    let form = [("token", token), ("username", username), ("password", PASSWORD)];
    json(app.post(&app.new_client(), "invitation/register", &form).await).await.0
}

#[tokio::test]
async fn an_invitation_link_is_used_at_most_once_even_at_the_same_moment() {
    let (app, _folder) = closed_app().await;
    let token = invitation_token(&app, &["invite", "create", "--groups", "family"]);
    assert_eq!(page(&app, &app.new_client(), &format!("/invite/{token}")).await.0, StatusCode::OK);

    let attempts = (0..8).map(|n| {
        let (app, token) = (&app, token.clone());
        async move {
            let c = app.new_client();
            let name = format!("racer{n}");
            let form = [("token", token.as_str()), ("username", name.as_str()), ("password", PASSWORD)];
            (json(app.post(&c, "invitation/register", &form).await).await.0, c)
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let created: Vec<&Client> = answers.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, c)| c).collect();
    assert_eq!(created.len(), 1, "{:?}", answers.iter().map(|(s, _)| *s).collect::<Vec<_>>());
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::GONE));
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db).await.unwrap();
    assert_eq!(accounts, 1);
    let groups: String = sqlx::query_scalar("SELECT groups FROM users").fetch_one(&app.db).await.unwrap();
    assert_eq!(groups, "family");
    assert_eq!(app.me(created[0]).await.status(), StatusCode::OK);

    let (status, html) = page(&app, &app.new_client(), &format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(!html.contains("Create account"));
    // Registration stays closed to anyone without a link.
    assert_eq!(app.try_register(&app.new_client(), "walkin", PASSWORD).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_revoked_or_expired_invitation_is_gone_and_a_taken_name_keeps_it_open() {
    let (app, _folder) = closed_app().await;
    app.operator_with_input(&["user", "add", "taken"], PASSWORD);
    let token = invitation_token(&app, &["invite", "create", "--days", "1"]);
    assert_eq!(use_invitation(&app, &token, "taken").await, StatusCode::CONFLICT);
    // The command line's clock is the system's, the server's a test clock: the link's end is
    // moved to the server's present instead.
    let now = app.clock.now();
    sqlx::query("UPDATE invitations SET expires_at = $1").bind(now).execute(&app.db).await.unwrap();
    assert_eq!(use_invitation(&app, &token, "late").await, StatusCode::GONE);

    let token = invitation_token(&app, &["invite", "create"]);
    let listed = crate::helpers::operator_output(&app.database_url, &["invite", "list"], "");
    let listed = String::from_utf8(listed.stdout).unwrap();
    let open_id = listed
        .lines()
        .find(|l| l.contains("\topen\t"))
        .expect("an open invitation")
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    app.operator(&["invite", "revoke", &open_id]);
    assert_eq!(use_invitation(&app, &token, "revoked").await, StatusCode::GONE);
}

#[tokio::test]
async fn apps_are_added_restricted_rotated_and_deleted_from_the_console() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    let form = [
        ("client_id", "wiki"),
        ("name", "Family Wiki"),
        ("redirect_uris", "https://wiki.example.com/callback"),
        ("policy", "two_factor"),
        ("allowed_groups", "family"),
    ];
    let (status, added) = json(app.post(&admin, "admin/apps/add", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let first_secret = added["client_secret"].as_str().unwrap().to_owned();
    assert!(first_secret.len() >= 32);
    let (_, html) = page(&app, &admin, "/admin").await;
    assert!(html.contains("Family Wiki") && html.contains("value=\"family\""), "the app and its groups are listed");
    assert!(!html.contains(&first_secret), "the secret is shown once, never listed");
    let stored: String = sqlx::query_scalar("SELECT allowed_groups FROM oidc_clients WHERE client_id = 'wiki'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, "family");

    let (status, rotated) = json(app.post(&admin, "admin/apps/rotate-secret", &[("client_id", "wiki")]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(rotated["client_secret"], added["client_secret"]);
    let access = [("client_id", "wiki"), ("allowed_groups", ""), ("policy", "one_factor")];
    assert_eq!(json(app.post(&admin, "admin/apps/access", &access).await).await.0, StatusCode::OK);
    let (groups, policy): (String, String) =
        sqlx::query_as("SELECT allowed_groups, policy FROM oidc_clients WHERE client_id = 'wiki'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((groups.as_str(), policy.as_str()), ("", "one_factor"));
    assert_eq!(json(app.post(&admin, "admin/apps/delete", &[("client_id", "wiki")]).await).await.0, StatusCode::OK);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_clients").fetch_one(&app.db).await.unwrap();
    assert_eq!(left, 0);
    let logged: Vec<String> =
        sqlx::query_scalar("SELECT action FROM admin_log ORDER BY id").fetch_all(&app.db).await.unwrap();
    assert_eq!(logged, ["app.added", "app.secret_rotated", "app.access_changed", "app.deleted"]);
}

/// A machine client (`--grant client_credentials`, no redirect URI) is listed as one, with its
/// scopes and without the groups and policy of an app people sign in to; its secret can be
/// rotated and it can be deleted like any app.
#[tokio::test]
async fn a_machine_client_is_listed_with_its_scopes_and_managed_like_any_app() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    app.operator(&[
        "oidc",
        "client",
        "add",
        "backup",
        "--name",
        "Nightly backup",
        "--grant",
        "client_credentials",
        "--scope",
        "backup:read",
        "--scope",
        "metrics",
    ]);
    app.operator(&["oidc", "client", "add", "wiki", "--redirect-uri", "https://wiki.example.com/callback"]);
    let (status, html) = page(&app, &admin, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    let item = html.split("data-client-id=\"backup\"").nth(1).expect("the machine client is listed");
    let item = item.split("</li>").next().unwrap();
    assert!(item.contains("Nightly backup") && item.contains("machine client"), "{item}");
    assert!(item.contains("scopes: backup:read metrics"), "{item}");
    assert!(!item.contains("allowed_groups") && !item.contains("policy"), "nobody signs in to it: {item}");
    assert!(html.contains("id=\"groups-wiki\""), "the app people sign in to keeps its form");

    let (status, rotated) = json(app.post(&admin, "admin/apps/rotate-secret", &[("client_id", "backup")]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rotated["client_secret"].as_str().unwrap().len() >= 32);
    assert_eq!(json(app.post(&admin, "admin/apps/delete", &[("client_id", "backup")]).await).await.0, StatusCode::OK);
    let (_, html) = page(&app, &admin, "/admin").await;
    assert!(!html.contains("Nightly backup"));
}

#[tokio::test]
async fn without_javascript_console_forms_answer_with_the_page_and_its_message() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    app.register(&app.new_client(), "bob", PASSWORD).await;

    let done = app.form_post(&admin, "admin/people/disable", &[("username", "bob")]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[header::LOCATION], "/admin/people/bob");
    let (status, html) = page(&app, &admin, "/admin/people/bob").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("bob is disabled."), "the message is on the page");

    // A failure goes back to the form's page, with its message.
    let refused = app.form_post(&admin, "admin/people/delete", &[("username", "bob"), ("confirm", "nope")]).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(refused.headers()[header::LOCATION], "/admin/people/bob");
    let (_, html) = page(&app, &admin, "/admin/people/bob").await;
    assert!(html.contains("type its username"), "the refusal is on the page");

    let made = app.form_post(&admin, "admin/invitations/create", &[("groups", "family"), ("days", "2")]).await;
    assert_eq!(made.headers()[header::LOCATION], "/admin");
    let (_, html) = page(&app, &admin, "/admin").await;
    assert!(html.contains("/invite/"), "the link is shown on the next page");
    let (_, html) = page(&app, &admin, "/admin").await;
    assert!(!html.contains("/invite/"), "and only once");
}

#[tokio::test]
async fn a_disabled_account_loses_its_apps_tokens_at_once_access_and_refresh() {
    use crate::openid_connect::{location, provider, query_param, redirect_param, rp_http, REDIRECT};
    let (app, _folder) = provider().await;
    let added = crate::helpers::operator_output(
        &app.database_url,
        &[
            "oidc",
            "client",
            "add",
            "wiki",
            "--policy",
            "one_factor",
            "--redirect-uri",
            REDIRECT,
            "--allow-insecure-http",
        ],
        "",
    );
    let added = String::from_utf8_lossy(&added.stdout).into_owned();
    let secret = added.lines().find_map(|l| l.strip_prefix("client_secret: ")).expect("a secret").to_owned();
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    let bob = app.new_client();
    app.register(&bob, "bob", PASSWORD).await;

    let authorize = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope=openid%20offline_access&state=s",
        redirect_param()
    ));
    let back = location(&bob.get(&authorize).send().await.unwrap());
    let code = query_param(&back, "code").expect("a code");
    let token = |grant: Vec<(&'static str, String)>| {
        let mut form = vec![("client_id", "wiki".to_owned()), ("client_secret", secret.clone())];
        form.extend(grant);
        let url = app.url("/oidc/token");
        async move {
            let r = rp_http().post(url).form(&form).send().await.unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, tokens) =
        token(vec![("grant_type", "authorization_code".into()), ("code", code), ("redirect_uri", REDIRECT.into())])
            .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token").to_owned();
    let userinfo = || rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send();
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::OK);

    assert_eq!(json(app.post(&admin, "admin/people/disable", &[("username", "bob")]).await).await.0, StatusCode::OK);

    assert_eq!(userinfo().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let (status, refused) = token(vec![("grant_type", "refresh_token".into()), ("refresh_token", refresh_token)]).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // And the session that held them is gone: authorize sends the browser to sign in.
    let again = location(&bob.get(&authorize).send().await.unwrap());
    assert!(again.contains("/login"), "{again}");
}

#[tokio::test]
async fn an_invitation_that_requires_two_factors_opens_nothing_until_they_are_on() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.registration_open = false;
    config.settings.access_rules =
        std::sync::Arc::new(domain::access_rules::AccessRules::parse("default_policy = \"one_factor\"").unwrap());
    let app = spawn_app_with(config).await;
    let token = invitation_token(&app, &["invite", "create", "--require-2fa"]);
    let carol = app.new_client();
    let form = [("token", token.as_str()), ("username", "carol"), ("password", PASSWORD)];
    assert_eq!(json(app.post(&carol, "invitation/register", &form).await).await.0, StatusCode::OK);

    // Every signed-in page leads to the setup, and a one_factor rule does not let her through.
    for path in ["/account", "/account/sessions", "/account/profile"] {
        let answer = carol.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.headers()[header::LOCATION], "/account/2fa/setup", "{path}");
    }
    let gate = |c: &Client| {
        c.get(app.url("/api/authz/forward-auth"))
            .header("x-forwarded-proto", "http")
            .header("x-forwarded-host", "127.0.0.1")
            .header("x-forwarded-uri", "/")
            .header("x-forwarded-method", "GET")
            .header(header::ACCEPT, "application/json")
            .send()
    };
    assert_eq!(gate(&carol).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // Once it is on, the rule lets her through and the pages open.
    let setup: serde_json::Value = app.start_setup(&carol).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.confirm_setup(&carol, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    assert_eq!(carol.get(app.url("/account")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(gate(&carol).await.unwrap().status(), StatusCode::OK);

    // An invitation without the rule: a password alone is enough for a one_factor rule.
    let token = invitation_token(&app, &["invite", "create"]);
    let dave = app.new_client();
    let form = [("token", token.as_str()), ("username", "dave"), ("password", PASSWORD)];
    assert_eq!(json(app.post(&dave, "invitation/register", &form).await).await.0, StatusCode::OK);
    assert_eq!(gate(&dave).await.unwrap().status(), StatusCode::OK);
    drop(folder);
}

#[tokio::test]
async fn a_console_action_from_another_site_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = signed_in_with_two_factors(&app, "root", true).await;
    let bob = app.new_client();
    app.register(&bob, "bob", PASSWORD).await;
    for origin in ["https://evil.example", "null"] {
        let answer = admin
            .post(app.url("/api/admin/people/disable"))
            .header(header::ORIGIN, origin)
            .header(header::ACCEPT, "application/json")
            .form(&[("username", "bob")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    assert_eq!(app.me(&bob).await.status(), StatusCode::OK);
    // The site's own origin is served.
    let own = admin
        .post(app.url("/api/admin/people/disable"))
        .header(header::ORIGIN, app.address.as_str())
        .header(header::ACCEPT, "application/json")
        .form(&[("username", "bob")])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(app.me(&bob).await.status(), StatusCode::UNAUTHORIZED);
}
