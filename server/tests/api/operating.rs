//! Running the service: readiness, and a backup taken while it works, restored elsewhere.

use crate::helpers::{
    client, fresh_database_url, operator_output, postgres_admin_url, spawn_app, spawn_app_with, test_config,
};
use reqwest::StatusCode;
use std::process::Output;

const PASSWORD: &str = "correct horse battery";

/// `server ARGS` on the database at `database_url`, as another process.
fn operator(database_url: &str, args: &[&str]) -> Output {
    operator_output(database_url, args, "")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn readyz_is_200_while_the_database_answers() {
    let app = spawn_app().await;
    let r = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

/// The database gone (PostgreSQL: dropped under the server), readiness says so at once. (A
/// SQLite file is opened by the process itself: it cannot become unreachable the same way.)
#[tokio::test]
async fn readyz_is_503_while_the_database_cannot_be_reached() {
    let Some(admin) = postgres_admin_url() else { return };
    let app = spawn_app().await;
    assert_eq!(client().get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    app.db.close().await;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    // FORCE ends the server's connections; it is refused (42501) while a process of another role
    // is connected — an autovacuum worker, now and then, on a fresh database: try again then.
    for attempt in 0.. {
        match sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).await {
            Ok(_) => break,
            Err(e) if attempt < 40 && e.to_string().contains("pg_signal_backend") => {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(e) => panic!("DROP DATABASE: {e}"),
        }
    }
    let r = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// `server backup` copies a running SQLite database while accounts are being created, and
/// `server restore` puts the copy in place elsewhere (never under a running server): a fresh
/// instance on it, given the key file, signs the person in with password and code.
#[tokio::test]
async fn a_backup_taken_under_registration_load_restores_into_a_fresh_instance_that_signs_in() {
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    if url.starts_with("postgres") {
        let refused = operator(&url, &["backup", folder.path().join("copy.db").to_str().unwrap()]);
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains("pg_dump"), "{}", stderr(&refused));
        return;
    }
    let app = spawn_app_with(test_config(url)).await;
    let (secret, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let backup = folder.path().join("backups").join("app-copy.db");
    let backup_arg = backup.to_str().unwrap().to_owned();
    let database_url = app.database_url.clone();
    let registrations = futures::future::join_all((0..12).map(|i| {
        let app = &app;
        async move { app.try_register(&app.new_client(), &format!("load{i}"), PASSWORD).await.status() }
    }));
    let argument = backup_arg.clone();
    let taking = tokio::task::spawn_blocking(move || operator(&database_url, &["backup", &argument]));
    let (statuses, taken) = tokio::join!(registrations, taking);
    let taken = taken.unwrap();
    assert!(taken.status.success(), "{}", stderr(&taken));
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600, "a backup is private");
    }

    let again = operator(&app.database_url, &["backup", &backup_arg]);
    assert!(!again.status.success(), "a backup never overwrites a file");
    let refused = operator(&app.database_url, &["restore", &backup_arg]);
    assert!(!refused.status.success(), "restored under a running server");
    assert!(stderr(&refused).contains("a server is running"), "{}", stderr(&refused));

    // Elsewhere, with the key file kept apart from the backup and restored with it.
    let elsewhere = tempfile::tempdir().unwrap();
    let fresh = elsewhere.path().join("app.db");
    let key = app.db_path.as_ref().unwrap().parent().unwrap().join("totp.key");
    std::fs::copy(key, elsewhere.path().join("totp.key")).unwrap();
    let fresh_url = format!("sqlite://{}", fresh.display());
    let restored = operator(&fresh_url, &["restore", &backup_arg]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    let not_a_backup = elsewhere.path().join("totp.key");
    let refused = operator(&fresh_url, &["restore", not_a_backup.to_str().unwrap()]);
    assert!(!refused.status.success(), "a file that is no backup is refused");

    let there = spawn_app_with(test_config(fresh_url)).await;
    // The code's time-step must be new to the account: the copy remembers the last one used.
    there.advance(600);
    let browser = there.new_client();
    assert_eq!(there.login(&browser, "alice", PASSWORD).await.status(), StatusCode::OK);
    let code = there.code(&secret, 0);
    assert_eq!(there.submit_code(&browser, &code).await.status(), StatusCode::OK);
    let me = there.post(&browser, "me", &[]).await;
    assert_eq!(me.status(), StatusCode::OK);
}
