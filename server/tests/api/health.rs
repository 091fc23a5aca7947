use crate::helpers::{client, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers_200_once_the_database_answers() {
    let app = spawn_app().await;
    let r = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_home_page_is_served_and_the_database_file_is_created() {
    let app = spawn_app().await;
    let r = client().get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Two-factor sign-in</h1>"), "{html}");
    assert!(html.contains("You are not signed in."));
    if let Some(path) = &app.db_path {
        assert!(path.exists(), "the SQLite file (and its folder) were created");
    }
}

#[tokio::test]
async fn an_unknown_page_is_a_404() {
    let app = spawn_app().await;
    let r = client().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
