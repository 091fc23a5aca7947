//! The account's sessions and apps, as their owner manages them (`/account/sessions`,
//! `/account/apps`, `POST /api/sessions/end`, `POST /api/apps/revoke`): each session listed with
//! its browser, "This session" on the asking one; "End" signs exactly that session out, at once,
//! and only among the owner's own; "Remove access" stops an app's access and refresh tokens at
//! once, and no other app's.

use crate::{
    helpers::{client, fresh_database_url, json, spawn_app, spawn_app_with, test_config, TestApp},
    openid_connect::{provider, register, rp_http, CHALLENGE, PASSWORD, REDIRECT, VERIFIER},
};
use domain::openid::store::clients::{self, ClientPolicy, NewClient};
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

const FIREFOX_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME_ON_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/// A browser of its own (cookies kept, redirects not followed) that says it is `user_agent`.
fn browser(user_agent: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap()
}

async fn page(app: &TestApp, c: &Client, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// The entries of the session list (or the app list), each as its HTML.
fn entries(html: &str) -> Vec<&str> {
    html.split("class=\"item\">").skip(1).map(|rest| rest.split("</li>").next().unwrap()).collect()
}

/// The value of each `name="<field>"` hidden input in `html`.
fn hidden_values<'a>(html: &'a str, field: &str) -> Vec<&'a str> {
    let marker = format!("name=\"{field}\" value=\"");
    html.split(&marker).skip(1).map(|rest| rest.split('"').next().unwrap()).collect()
}

/// The row of the security log (on `/account/sessions`) of the newest event of `kind`.
fn logged<'a>(html: &'a str, kind: &str) -> &'a str {
    let row = html.split(&format!("<tr data-kind=\"{kind}\">")).nth(1).unwrap_or_else(|| panic!("{kind} logged"));
    row.split("</tr>").next().unwrap()
}

async fn end_session(app: &TestApp, c: &Client, handle: &str) -> (StatusCode, Value) {
    json(app.post(c, "sessions/end", &[("session", handle)]).await).await
}

#[tokio::test]
async fn each_session_is_listed_and_ending_the_other_signs_exactly_it_out_at_once() {
    let app = spawn_app().await;
    let (first, second) = (browser(FIREFOX_ON_WINDOWS), browser(CHROME_ON_LINUX));
    app.register(&first, "alice", PASSWORD).await;
    assert_eq!(app.login(&second, "alice", PASSWORD).await.status(), StatusCode::OK);
    // Both are used: the second is kept in memory too (SQLite), where "End" must reach it.
    assert_eq!(app.me(&second).await.status(), StatusCode::OK);

    let listed = page(&app, &first, "/account/sessions").await;
    let sessions = entries(&listed);
    assert_eq!(sessions.len(), 2, "{listed}");
    assert!(sessions[0].contains("Firefox on Windows") && sessions[0].contains("This session"), "{}", sessions[0]);
    assert!(sessions[1].contains("Chrome on Linux") && !sessions[1].contains("This session"), "{}", sessions[1]);
    assert!(sessions.iter().all(|s| s.contains("127.0.0.1")), "the address of each");
    let handles = hidden_values(&listed, "session");
    assert_eq!(handles.len(), 1, "\"End\" on the other session only");
    assert!(sessions[1].contains(handles[0]));
    let theirs = page(&app, &second, "/account/sessions").await;
    let theirs = entries(&theirs);
    assert!(theirs[0].contains("Chrome on Linux") && theirs[0].contains("This session"), "each sees itself first");
    assert!(!theirs[0].contains(handles[0]), "a session is not offered to end itself");

    assert_eq!(end_session(&app, &first, handles[0]).await, (StatusCode::OK, json!({})));
    assert_eq!(app.me(&second).await.status(), StatusCode::UNAUTHORIZED, "the other session is signed out");
    assert_eq!(app.me(&first).await.status(), StatusCode::OK, "this one stays");
    let after = page(&app, &first, "/account/sessions").await;
    assert_eq!(entries(&after).len(), 1, "{after}");
    let line = logged(&after, "sessions.ended_one");
    assert!(line.contains("Signed out of another session") && line.contains(": Chrome on Linux"), "{line}");
    let (status, _) = end_session(&app, &first, handles[0]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an ended session is no longer one to end");
}

#[tokio::test]
async fn another_accounts_session_cannot_be_ended_nor_told_apart_from_none() {
    let app = spawn_app().await;
    let (alice, bob, bobs_other) = (client(), client(), client());
    app.register(&alice, "alice", PASSWORD).await;
    app.register(&bob, "bob", PASSWORD).await;
    assert_eq!(app.login(&bobs_other, "bob", PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.me(&bobs_other).await.status(), StatusCode::OK);
    let bobs_page = page(&app, &bob, "/account/sessions").await;
    let bobs_handle = hidden_values(&bobs_page, "session")[0].to_owned();

    let refused = end_session(&app, &alice, &bobs_handle).await;
    assert_eq!(refused.0, StatusCode::NOT_FOUND, "{refused:?}");
    let unknown = end_session(&app, &alice, &"0".repeat(32)).await;
    assert_eq!(refused, unknown, "the same answer as for a handle that names nothing");
    assert_eq!(app.me(&bobs_other).await.status(), StatusCode::OK, "bob's session survives");
    let (status, _) = end_session(&app, &alice, "not a handle").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Without JavaScript: back to the page, with the message.
    let r = app.form_post(&alice, "sessions/end", &[("session", &bobs_handle)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/account/sessions");
    assert_eq!(app.me(&bobs_other).await.status(), StatusCode::OK);
    // Bob himself may.
    let r = app.form_post(&bob, "sessions/end", &[("session", &bobs_handle)]).await;
    assert_eq!(
        (r.status(), r.headers()[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/account/sessions")
    );
    assert_eq!(app.me(&bobs_other).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ending_a_session_needs_a_recent_sign_in_as_ending_every_other_one_does() {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.reauthentication_window_seconds = 60;
    let app = spawn_app_with(config).await;
    let (first, second) = (client(), client());
    app.register(&first, "alice", PASSWORD).await;
    app.login(&second, "alice", PASSWORD).await;
    let handle = hidden_values(&page(&app, &first, "/account/sessions").await, "session")[0].to_owned();
    app.advance(61);
    let stale = page(&app, &first, "/account/sessions").await;
    assert!(hidden_values(&stale, "session").is_empty(), "no \"End\" until the sign-in is confirmed");
    assert!(stale.contains("id=\"reauthenticate-form\""), "the form that confirms it instead");
    let (status, _) = end_session(&app, &first, &handle).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&second).await.status(), StatusCode::OK);
    assert_eq!(app.reauthenticate(&first, PASSWORD, None).await.status(), StatusCode::OK);
    assert_eq!(end_session(&app, &first, &handle).await.0, StatusCode::OK);
    assert_eq!(app.me(&second).await.status(), StatusCode::UNAUTHORIZED);
}

/// `client_id`'s tokens (access and refresh) for alice, signed in on `browser`.
async fn offline_tokens(app: &TestApp, browser: &Client, client_id: &str) -> Value {
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20offline_access&code_challenge={CHALLENGE}&code_challenge_method=S256",
        form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
    ));
    let r = browser.get(url).send().await.unwrap();
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let code = location.split("code=").nth(1).expect("a code").split('&').next().unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let r = rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap();
    let (status, tokens) = (r.status(), r.json::<Value>().await.unwrap());
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

async fn userinfo(app: &TestApp, tokens: &Value) -> StatusCode {
    let access = tokens["access_token"].as_str().unwrap();
    rp_http().get(app.url("/oidc/userinfo")).bearer_auth(access).send().await.unwrap().status()
}

async fn refresh(app: &TestApp, client_id: &str, tokens: &Value) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    let r = rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn removing_an_apps_access_stops_its_tokens_at_once_and_no_other_apps() {
    let (app, _folder) = provider().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let notes = NewClient {
        client_id: "notes".into(),
        name: Some("Notes".into()),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![],
        public: true,
        policy: ClientPolicy::OneFactor,
        allowed_groups: vec![],
        allow_insecure_http: true,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    };
    clients::add(&app.db, &notes, app.clock.now()).await.unwrap();
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let spa = offline_tokens(&app, &browser, "spa").await;
    let kept = offline_tokens(&app, &browser, "notes").await;
    // Asked once, the access token is kept in memory (SQLite): removing access must reach there.
    assert_eq!(userinfo(&app, &spa).await, StatusCode::OK);

    let listed = page(&app, &browser, "/account/apps").await;
    let apps = entries(&listed);
    assert_eq!(apps.len(), 2, "{listed}");
    assert!(apps[0].contains("Notes") && apps[1].contains("The wiki"), "by name: {listed}");
    assert_eq!(hidden_values(&listed, "client_id"), ["notes", "spa"]);

    let removed = json(app.post(&browser, "apps/revoke", &[("client_id", "spa")]).await).await;
    assert_eq!(removed, (StatusCode::OK, json!({})));
    assert_eq!(userinfo(&app, &spa).await, StatusCode::UNAUTHORIZED, "its access token is refused");
    let (status, body) = refresh(&app, "spa", &spa).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert_eq!(userinfo(&app, &kept).await, StatusCode::OK, "another app keeps its access");
    assert_eq!(refresh(&app, "notes", &kept).await.0, StatusCode::OK);

    let after = page(&app, &browser, "/account/apps").await;
    assert_eq!(hidden_values(&after, "client_id"), ["notes"], "{after}");
    let log = page(&app, &browser, "/account/sessions").await;
    let line = logged(&log, "oidc.access_removed");
    assert!(line.contains("Access removed from an app") && line.contains(": The wiki"), "{line}");
    let (status, _) = json(app.post(&browser, "apps/revoke", &[("client_id", "spa")]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to remove");
    // Without JavaScript: back to the page.
    let r = app.form_post(&browser, "apps/revoke", &[("client_id", "notes")]).await;
    assert_eq!((r.status(), r.headers()[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/account/apps"));
    assert_eq!(userinfo(&app, &kept).await, StatusCode::UNAUTHORIZED);
    assert!(page(&app, &browser, "/account/apps").await.contains("id=\"no-apps\""));
}

#[tokio::test]
async fn the_account_area_is_four_pages_with_one_navigation() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", PASSWORD).await;
    for (path, heading) in [
        ("/account", "Two-factor authentication"),
        ("/account/sessions", "Your sessions"),
        ("/account/apps", "Apps you use"),
        ("/account/profile", "Display name and email"),
    ] {
        let html = page(&app, &c, path).await;
        let nav = html.split("<nav aria-label=\"Account\"").nth(1).expect("the account navigation").split("</nav>");
        let nav = nav.clone().next().unwrap();
        for linked in ["/account", "/account/sessions", "/account/apps", "/account/profile"] {
            assert!(nav.contains(&format!("href=\"{linked}\"")), "{path}: {linked} linked");
        }
        assert_eq!(nav.matches("aria-current").count(), 1, "{path}");
        assert!(nav.contains(&format!("href=\"{path}\" aria-current=\"page\"")), "{path}: {nav}");
        assert!(html.contains(heading), "{path}: {heading}");
    }
    let sessions = page(&app, &c, "/account/sessions").await;
    for section in ["Remembered devices", "Recent security activity", "End every other session"] {
        assert!(sessions.contains(section), "{section}");
    }
    assert!(page(&app, &c, "/account/apps").await.contains("App passwords"));
}
