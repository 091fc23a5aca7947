//! A form sent in the page (JavaScript on: `X-In-Page: 1`, JSON asked for) gets the JSON answer
//! with the page to move to (`X-Next-Page`) and that page's flash message; a failure is the JSON
//! error, shown in place, with no redirect. Scripts that do not say `X-In-Page` see neither.

use crate::helpers::{client, json, spawn_app};
use reqwest::{header, StatusCode};

async fn in_page(
    app: &crate::helpers::TestApp,
    c: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(&format!("/api/{endpoint}")))
        .header(header::ACCEPT, "application/json")
        .header("x-in-page", "1")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_success_names_the_next_page_and_leaves_its_message() {
    let app = spawn_app().await;
    let c = client();
    let r = in_page(&app, &c, "register", &[("username", "alice"), ("password", "correct horse")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-next-page"], "/account");
    let cookies: Vec<_> =
        r.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("flash=s.")), "{cookies:?}");
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["username"], "alice");
    let page = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Welcome! Your account is ready."), "the next page shows the message");

    let r = in_page(&app, &c, "logout", &[]).await;
    assert_eq!(r.headers()["x-next-page"], "/login");
    let r = in_page(&app, &client(), "login", &[("username", "alice"), ("password", "correct horse")]).await;
    assert_eq!(r.headers()["x-next-page"], "/account");
}

#[tokio::test]
async fn a_failure_is_the_json_error_without_a_redirect() {
    let app = spawn_app().await;
    let (status, body) =
        json(in_page(&app, &client(), "login", &[("username", "nobody"), ("password", "wrong horse")]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "Wrong username or password.");
}

#[tokio::test]
async fn a_script_that_does_not_say_in_page_gets_the_plain_answer() {
    let app = spawn_app().await;
    let r = app.try_register(&client(), "alice", "correct horse").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-next-page").is_none());
    assert!(r.headers().get(header::SET_COOKIE).iter().all(|c| !c.to_str().unwrap().starts_with("flash=")));
}
