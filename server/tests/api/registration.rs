use crate::helpers::{client, json, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn registering_signs_the_new_account_in() {
    let app = spawn_app().await;
    let c = client();
    let (status, body) = json(app.try_register(&c, "Alice", "correct horse").await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "username": "Alice" })));
    let (status, body) = json(app.me(&c).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "username": "Alice", "two_factor": false })));
}

#[tokio::test]
async fn usernames_are_unique_without_regard_to_case() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let (status, body) = json(app.try_register(&client(), "ALICE", "another one").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("taken"), "{body}");
}

#[tokio::test]
async fn invalid_registrations_are_400_with_a_message() {
    let app = spawn_app().await;
    let long_name = "a".repeat(33);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("username", "ab"), ("password", "long enough")],
        vec![("username", long_name.as_str()), ("password", "long enough")],
        vec![("username", "white space"), ("password", "long enough")],
        vec![("username", "bob"), ("password", "short")],
        vec![("username", "bob")],
        vec![("password", "long enough")],
        vec![],
    ];
    for form in cases {
        let (status, body) = json(app.post(&client(), "register", &form).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "{form:?}: {body}");
        assert_eq!(body.as_object().unwrap().len(), 1, "exactly one key: {body}");
    }
}

#[tokio::test]
async fn passwords_have_no_composition_rules_and_may_be_long() {
    let app = spawn_app().await;
    app.register(&client(), "eight", "aaaaaaaa").await;
    let long = "pässwörd ".repeat(14); // 126 characters, non-ASCII
    app.register(&client(), "long.one", &long).await;
    let r = app.login(&client(), "long.one", &long).await;
    assert_eq!(r.status(), StatusCode::OK);
}
