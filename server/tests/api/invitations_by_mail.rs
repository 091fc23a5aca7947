//! Invitations by mail (`docs/contract/console.md`), through a real SMTP server: the console's
//! "Email" mails the link instead of showing it, and the link registers an account; `server
//! invite create --email` queues it for the running server to send, and is refused while mail is
//! off; with mail off the form has no "Email".

use crate::email_verification::app_with_mail;
use crate::helpers::{json, spawn_app, TestApp, TEST_KEY};
use reqwest::{header, Client, StatusCode};

const PASSWORD: &str = "correct horse battery";

/// A client signed in with both factors to `username`, an administrator.
async fn administrator(app: &TestApp, username: &str) -> Client {
    let (secret, _) = app.user_with_two_factor(username, PASSWORD).await;
    app.operator(&["user", "set", username, "--groups", "admins"]);
    let c = app.pending_client(username, PASSWORD).await;
    assert_eq!(app.submit_code(&c, &app.code(&secret, 1)).await.status(), StatusCode::OK);
    c
}

async fn console_page(app: &TestApp, c: &Client) -> String {
    let r = c.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// The token of the invitation link in a mail.
fn token_in(app: &TestApp, mail: &crate::helpers::mail::Received) -> String {
    let link = mail.link(&app.url("/invite/")).unwrap_or_else(|| panic!("no link in {}", mail.body()));
    link.rsplit_once("/invite/").unwrap().1.to_owned()
}

/// `server ARGS` beside the server, with `env` added (and the key of the test's database).
fn command_line(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command.args(args).env("DATABASE_URL", &app.database_url).env("RUST_LOG", "warn");
    command.env_remove("TOTP_KEY_FILE").env_remove("TOTP_ENCRYPTION_KEY");
    command.env_remove("SMTP_URL").env_remove("MAIL_FROM");
    if app.database_url.starts_with("postgres") {
        command.env("TOTP_ENCRYPTION_KEY", TEST_KEY);
    }
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

#[tokio::test]
async fn the_consoles_invitation_by_mail_arrives_and_its_link_registers_an_account() {
    let (app, sink) = app_with_mail().await;
    let admin = administrator(&app, "root").await;
    let page = console_page(&app, &admin).await;
    assert!(page.contains(r#"id="invitation-email""#) && page.contains(">Email<"), "{page}");

    // With JavaScript off: back to the console, which names the address and shows no link.
    let made = app
        .form_post(&admin, "admin/invitations/create", &[("groups", "family"), ("email", "guest@example.test")])
        .await;
    assert_eq!((made.status(), made.headers()[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/admin"));
    let page = console_page(&app, &admin).await;
    assert!(page.contains("The invitation was sent to guest@example.test."), "{page}");
    assert!(!page.contains("/invite/"), "the link is shown to nobody: {page}");

    let mail = sink.wait_for("guest@example.test", 1).await.remove(0);
    assert_eq!(mail.subject(), "You are invited to create an account");
    assert!(mail.body().contains("root invites you"), "{}", mail.body());
    let token = token_in(&app, &mail);
    let guest = app.new_client();
    let form = [("token", token.as_str()), ("username", "guest"), ("password", PASSWORD)];
    let (status, body) = json(app.post(&guest, "invitation/register", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let groups: String =
        sqlx::query_scalar("SELECT groups FROM users WHERE username_key = 'guest'").fetch_one(&app.db).await.unwrap();
    assert_eq!(groups, "family");
    assert_eq!(app.me(&guest).await.status(), StatusCode::OK);

    // A script gets the address, not the link.
    let (status, body) =
        json(app.post(&admin, "admin/invitations/create", &[("email", "second@example.test")]).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sent_to"], "second@example.test");
    assert!(body.get("link").is_none() && body["id"].is_string(), "{body}");
    sink.wait_for("second@example.test", 1).await;
    // Without an address, as before: the link, shown once.
    let (status, body) = json(app.post(&admin, "admin/invitations/create", &[("email", "")]).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["link"].as_str().unwrap().contains("/invite/"), "{body}");
}

#[tokio::test]
async fn invite_create_with_an_email_is_sent_by_the_running_server_and_refused_while_mail_is_off() {
    let (app, sink) = app_with_mail().await;
    // As the server has them (`PUBLIC_URL` makes the link).
    let mail_env =
        [("SMTP_URL", sink.url()), ("MAIL_FROM", "auth@example.test".to_owned()), ("PUBLIC_URL", app.address.clone())];
    let mail_env: Vec<(&str, &str)> = mail_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done =
        command_line(&app, &["invite", "create", "--groups", "family", "--email", "cli@example.test"], &mail_env);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let printed = String::from_utf8_lossy(&done.stdout);
    assert!(printed.contains("cli@example.test") && !printed.contains("/invite/"), "{printed}");

    // The server's sender finds it in the outbox (within its 5-second poll). The command line
    // queued it at the system's time, which the server's test clock (standing still since it
    // started) has to reach first.
    app.advance(60);
    let mail = sink.wait_for("cli@example.test", 1).await.remove(0);
    assert!(mail.body().contains("The administrator invites you"), "{}", mail.body());
    let token = token_in(&app, &mail);
    let form = [("token", token.as_str()), ("username", "fromcli"), ("password", PASSWORD)];
    assert_eq!(json(app.post(&app.new_client(), "invitation/register", &form).await).await.0, StatusCode::OK);

    let refused = command_line(&app, &["invite", "create", "--email", "nomail@example.test"], &[]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("mail is off") && said.contains("SMTP_URL"), "{said}");
    let invitations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations").fetch_one(&app.db).await.unwrap();
    assert_eq!(invitations, 1, "nothing made by the refused command");
}

#[tokio::test]
async fn with_mail_off_the_invitation_form_has_no_email_field() {
    let app = spawn_app().await;
    let admin = administrator(&app, "root").await;
    let page = console_page(&app, &admin).await;
    assert!(page.contains("Create an invitation") && !page.contains("invitation-email"), "{page}");
    let (status, body) =
        json(app.post(&admin, "admin/invitations/create", &[("email", "guest@example.test")]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let invitations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations").fetch_one(&app.db).await.unwrap();
    assert_eq!(invitations, 0);
}
