//! TOTP keys are encrypted at rest, and a wrong or missing key stops start-up.
//! Recovery codes are kept under a key derived from it: a copy of the database alone gives
//! nothing to test a guess against.

use crate::helpers::{
    client, fresh_database_url, on_postgres, spawn_app, spawn_app_with, stored_bytes, test_config, TestApp,
};
use reqwest::StatusCode;
use server::{infra::encryption_key::KeySource, startup::config::Config, Application};
use sha2::{Digest, Sha256};

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

/// SHA-256(salt ‖ code), the code as typed without its dash: what a copy of the database would
/// test guesses against if codes were kept as a salted hash alone.
fn unkeyed(salt: &[u8], code: &str) -> Vec<u8> {
    Sha256::new().chain_update(salt).chain_update(code.replace('-', "").as_bytes()).finalize().to_vec()
}

/// Replaces the account's recovery codes with `codes` stored the way they were before codes were
/// keyed (a salted SHA-256 each), the salts named after `salt_label`.
async fn store_unkeyed(db: &sqlx::AnyPool, account: i64, codes: &[String], salt_label: &str) {
    sqlx::query("DELETE FROM recovery_codes").execute(db).await.unwrap();
    for (n, code) in codes.iter().enumerate() {
        let salt = format!("{salt_label} #{n:02}").into_bytes();
        sqlx::query("INSERT INTO recovery_codes (user_id, salt, code_hash) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(&salt)
            .bind(unkeyed(&salt, code))
            .execute(db)
            .await
            .unwrap();
    }
}

/// Every stored recovery code: its salt, hash and hash version.
async fn stored_codes(app: &TestApp) -> Vec<(Vec<u8>, Vec<u8>, i64)> {
    sqlx::query_as("SELECT salt, code_hash, hash_version FROM recovery_codes ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stored_recovery_code_is_no_hash_a_copy_of_the_database_can_test_a_guess_against() {
    let app = spawn_app().await;
    let (_, codes) = app.user_with_two_factor("alice", "correct horse").await;
    let stored = stored_codes(&app).await;
    assert_eq!(stored.len(), codes.len());
    for (salt, hash, _) in &stored {
        for code in &codes {
            assert_ne!(hash, &unkeyed(salt, code), "{code} is kept as SHA-256(salt ‖ code)");
        }
    }
    // The codes themselves work, once.
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&c, &codes[0]).await.status(), StatusCode::OK);
}

/// Codes stored by an earlier version (SHA-256(salt ‖ code) alone, no hash version) take the
/// keyed form when the server starts, once, and go on working, each once.
#[tokio::test]
async fn a_recovery_code_stored_before_codes_were_keyed_works_after_the_upgrade_and_only_once() {
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    let app = spawn_app_with(test_config(url.clone())).await;
    let (_, codes) = app.user_with_two_factor("alice", "correct horse").await;
    let account: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'").fetch_one(&app.db).await.unwrap();
    store_unkeyed(&app.db, account, &codes, "an old salt").await;
    drop(app);

    let app = spawn_app_with(test_config(url.clone())).await;
    let upgraded = stored_codes(&app).await;
    assert_eq!(upgraded.len(), codes.len());
    for ((salt, hash, version), code) in upgraded.iter().zip(&codes) {
        assert_eq!(*version, 1, "keyed at start-up");
        assert_ne!(hash, &unkeyed(salt, code), "no longer SHA-256(salt ‖ code)");
    }
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&c, &codes[0]).await.status(), StatusCode::OK, "an old code works");
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&c, &codes[0]).await.status(), StatusCode::UNAUTHORIZED, "once");
    drop(app);

    // Starting again changes nothing: each row was keyed once.
    let app = spawn_app_with(test_config(url)).await;
    let again = stored_codes(&app).await;
    assert_eq!(
        again.iter().map(|(_, hash, _)| hash).collect::<Vec<_>>(),
        upgraded.iter().map(|(_, hash, _)| hash).collect::<Vec<_>>()
    );
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&c, &codes[1]).await.status(), StatusCode::OK, "another old code works");
}

/// Instances starting together each bring the unkeyed codes to the keyed form: between them,
/// each row is keyed exactly once (a row keyed twice would match no code).
#[tokio::test]
async fn instances_keying_the_stored_codes_at_once_key_each_code_once() {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use domain::{credentials::recovery_codes::RecoveryCodeKey, storage::accounts::key_unkeyed_recovery_codes};
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.totp_key = Some(KeySource::Value(crate::helpers::TEST_KEY.into()));
    let app = spawn_app_with(config).await;
    let (_, codes) = app.user_with_two_factor("alice", "correct horse").await;
    let key: [u8; 32] = STANDARD.decode(crate::helpers::TEST_KEY).unwrap().try_into().unwrap();
    let key = RecoveryCodeKey::derive(&key).unwrap();
    for round in 0..20 {
        let account: i64 = sqlx::query_scalar("SELECT id FROM users").fetch_one(&app.db).await.unwrap();
        store_unkeyed(&app.db, account, &codes, &format!("round {round} salt")).await;
        let (a, b) = tokio::join!(key_unkeyed_recovery_codes(&app.db, &key), key_unkeyed_recovery_codes(&app.db, &key));
        assert_eq!(a.unwrap() + b.unwrap(), codes.len() as u64, "round {round}: each row keyed once");
    }
    let c = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&c, &codes[0]).await.status(), StatusCode::OK);
}
