//! The profile (`POST /api/profile`, `/account/profile`): a verified email address belongs to one
//! account only, changing it needs a recent sign-in, and the page says whether it is verified.

use crate::helpers::{json, spawn_app, TestApp};
use reqwest::{Client, StatusCode};

const PASSWORD: &str = "correct horse battery";

async fn save(app: &TestApp, c: &Client, display_name: &str, email: &str) -> (StatusCode, serde_json::Value) {
    json(app.post(c, "profile", &[("display_name", display_name), ("email", email)]).await).await
}

async fn stored_email(app: &TestApp, username: &str) -> Option<String> {
    sqlx::query_scalar("SELECT email FROM users WHERE username_key = $1")
        .bind(username)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_verified_address_belongs_to_one_account_whatever_its_case() {
    let app = spawn_app().await;
    let (alice, bob) = (app.new_client(), app.new_client());
    app.register(&alice, "alice", PASSWORD).await;
    app.register(&bob, "bob", PASSWORD).await;
    app.operator(&["user", "set", "alice", "--email", "Alice@Example.test"]);

    for taken in ["Alice@Example.test", "alice@example.test", "ALICE@EXAMPLE.TEST"] {
        let (status, body) = save(&app, &bob, "Bob", taken).await;
        assert_eq!(status, StatusCode::CONFLICT, "{taken}: {body}");
        assert_eq!(body["error"], "That email address is already used by another account. Enter another one.");
    }
    assert_eq!(stored_email(&app, "bob").await, None, "nothing of the refused change was saved");
    let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE username_key = 'bob'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, None, "not even the display name sent with it");

    // Once given up, it is free for another account.
    assert_eq!(save(&app, &alice, "", "").await.0, StatusCode::OK);
    assert_eq!(save(&app, &bob, "", "ALICE@example.test").await.0, StatusCode::OK);
    assert_eq!(stored_email(&app, "bob").await.as_deref(), Some("ALICE@example.test"));
    app.operator(&["user", "set", "bob", "--email", "ALICE@example.test"]);
    // Without JavaScript, the form comes back with the message.
    let r = app.form_post(&alice, "profile", &[("display_name", ""), ("email", "alice@EXAMPLE.test")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[reqwest::header::LOCATION], "/account/profile", "back to the profile's page");
    assert_eq!(stored_email(&app, "alice").await, None);
}

/// An address a person types is only a claim: it keeps nobody from the address (else anyone
/// could take someone's address first and keep it from them), and at most one account ever has
/// it verified — the operator cannot vouch for it on a second account either.
#[tokio::test]
async fn an_unverified_address_keeps_no_one_from_it_and_is_verified_on_one_account_at_most() {
    let app = spawn_app().await;
    let (mallory, alice) = (app.new_client(), app.new_client());
    app.register(&mallory, "mallory", PASSWORD).await;
    app.register(&alice, "alice", PASSWORD).await;
    assert_eq!(save(&app, &mallory, "", "alice@example.test").await.0, StatusCode::OK, "typed first, by another");
    assert_eq!(save(&app, &alice, "", "Alice@example.test").await.0, StatusCode::OK, "its owner still may");

    app.operator(&["user", "set", "alice", "--email", "Alice@example.test"]);
    let refused = crate::helpers::operator_output(
        &app.database_url,
        &["user", "set", "mallory", "--email", "alice@example.test"],
        "",
    );
    assert!(!refused.status.success(), "a second account cannot have it verified");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already belongs to alice"));
    let verified: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE lower(email) = 'alice@example.test' AND email_verified_at IS NOT NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(verified, 1);
    // Now verified on alice's account, it is refused to anyone else.
    assert_eq!(save(&app, &mallory, "", "ALICE@example.test").await.0, StatusCode::CONFLICT);
}

#[tokio::test]
async fn changing_the_email_needs_a_recent_sign_in_and_the_display_name_does_not() {
    let app = spawn_app().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    assert_eq!(save(&app, &c, "Alice", "alice@example.test").await.0, StatusCode::OK, "just signed in");
    app.advance(11 * 60);

    let (status, body) = save(&app, &c, "Alice", "mallory@example.test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error"].as_str().unwrap().contains("confirm your password"), "{body}");
    assert_eq!(save(&app, &c, "Alice", "").await.0, StatusCode::UNAUTHORIZED, "removing it is a change too");
    assert_eq!(stored_email(&app, "alice").await.as_deref(), Some("alice@example.test"));

    assert_eq!(save(&app, &c, "Alice Liddell", "alice@example.test").await.0, StatusCode::OK, "the name alone");
    assert_eq!(stored_email(&app, "alice").await.as_deref(), Some("alice@example.test"));

    assert_eq!(app.reauthenticate(&c, PASSWORD, None).await.status(), StatusCode::OK);
    assert_eq!(save(&app, &c, "Alice", "alice@elsewhere.test").await.0, StatusCode::OK, "recent again");
    assert_eq!(stored_email(&app, "alice").await.as_deref(), Some("alice@elsewhere.test"));
}

#[tokio::test]
async fn the_profile_page_says_whether_the_email_is_verified() {
    let app = spawn_app().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    let page = || async { c.get(app.url("/account/profile")).send().await.unwrap().text().await.unwrap() };
    assert!(!page().await.contains("email-status"), "no address, nothing to say");
    assert_eq!(save(&app, &c, "", "alice@example.test").await.0, StatusCode::OK);
    let shown = page().await;
    assert!(shown.contains("Not verified") && !shown.contains(">Verified<"), "{shown}");
    app.operator(&["user", "set", "alice", "--email", "alice@example.test"]);
    let shown = page().await;
    assert!(shown.contains(">Verified<") && !shown.contains("Not verified"), "{shown}");
}

/// Accounts that shared an address (compared without regard to case) before addresses were
/// unique: the migration keeps it on the oldest account, clears it on the others, and keeps
/// every account; no address stored before it counts as verified.
#[tokio::test]
async fn the_migration_keeps_a_shared_address_on_the_oldest_account_and_loses_no_account() {
    let app = spawn_app().await;
    for name in ["carol", "alice", "bob", "dave"] {
        app.register(&app.new_client(), name, PASSWORD).await;
        app.advance(1);
    }
    // The schema as it was before the migration, holding what it allowed.
    for statement in [
        "DROP INDEX users_by_verified_email",
        "ALTER TABLE users DROP COLUMN email_verified_at",
        "DELETE FROM _sqlx_migrations WHERE version IN (9, 17)",
        "UPDATE users SET email = 'Shared@example.test' WHERE username = 'alice'",
        "UPDATE users SET email = 'shared@EXAMPLE.test' WHERE username = 'carol'",
        "UPDATE users SET email = 'shared@example.test' WHERE username = 'bob'",
        "UPDATE users SET email = 'dave@example.test' WHERE username = 'dave'",
    ] {
        sqlx::query(statement).execute(&app.db).await.unwrap();
    }
    app.operator(&["migrate"]);
    let rows: Vec<(String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT username, email, email_verified_at FROM users ORDER BY created_at")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let expected =
        [("carol", Some("shared@EXAMPLE.test")), ("alice", None), ("bob", None), ("dave", Some("dave@example.test"))];
    assert_eq!(rows.len(), expected.len(), "every account is kept: {rows:?}");
    for ((name, email, verified_at), (expected_name, expected_email)) in rows.iter().zip(expected) {
        assert_eq!((name.as_str(), email.as_deref()), (expected_name, expected_email), "{rows:?}");
        assert_eq!(*verified_at, None, "{name}: an address from before is not verified");
    }
}
