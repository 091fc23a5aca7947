//! Property 6: TOTP keys are encrypted at rest, and a wrong or missing key stops start-up.

use crate::helpers::{client, fresh_database_url, on_postgres, spawn_app, spawn_app_with, stored_bytes, test_config};
use server::{config::Config, encryption_key::KeySource, Application};

#[tokio::test]
async fn the_database_file_never_holds_a_totp_key_in_clear() {
    let app = spawn_app().await;
    let (confirmed, _) = app.user_with_two_factor("alice", "correct horse").await;
    // A second account with a setup still pending.
    let c = client();
    app.register(&c, "bob", "correct horse").await;
    let pending: serde_json::Value = app.start_setup(&c).await.json().await.unwrap();
    let pending = pending["secret"].as_str().unwrap().to_owned();
    let file = stored_bytes(&app).await;
    for secret in [confirmed, pending] {
        let raw = otp_oracle::key(&secret).unwrap();
        assert!(!file.windows(raw.len()).any(|w| w == raw.as_slice()), "raw key found");
        assert!(!file.windows(secret.len()).any(|w| w == secret.as_bytes()), "base32 key found");
    }
}

#[tokio::test]
async fn the_default_key_file_is_created_owner_only() {
    if on_postgres() {
        return; // The default key file lives beside a SQLite database.
    }
    let app = spawn_app().await;
    let key_file = app.db_path.as_ref().unwrap().parent().unwrap().join("totp.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_wrong_key_stops_start_up_with_one_clear_line() {
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    drop(spawn_app_with(test_config(url.clone())).await);
    let mut config = test_config(url);
    config.totp_key = Some(KeySource::Value("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()));
    let error = Application::build(config).await.err().expect("start-up refused").to_string();
    assert!(error.contains("does not match"), "{error}");
    assert!(!error.contains('\n'));
}

#[tokio::test]
async fn a_missing_key_file_for_existing_data_stops_start_up() {
    if on_postgres() {
        return; // The default key file lives beside a SQLite database.
    }
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    drop(spawn_app_with(Config::for_tests(url.clone())).await);
    std::fs::remove_file(folder.path().join("totp.key")).unwrap();
    let error = Application::build(Config::for_tests(url)).await.err().expect("start-up refused").to_string();
    assert!(error.contains("missing"), "{error}");
}
