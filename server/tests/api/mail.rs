//! Mail through a real SMTP server (aiosmtpd, `helpers::mail`): notices reach the verified
//! address and carry no secret, a new device is told and a known one is not, the outbox keeps
//! a message across a SIGKILL of the server and delivers it once after the restart, and
//! `server mail test` reports the SMTP server's answer.

use crate::helpers::{
    client,
    codes::code_now,
    fresh_database_url,
    mail::{spawn_app_with_mail, MailSink},
    operator_output, TestApp, TEST_KEY,
};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

const PASSWORD: &str = "correct horse battery";

/// Registers `name` on `client`, with the operator vouching for `email` (verified).
async fn account_with_address(app: &TestApp, c: &Client, name: &str, email: &str) {
    app.register(c, name, PASSWORD).await;
    app.operator(&["user", "set", name, "--email", email]);
}

#[tokio::test]
async fn turning_two_factor_on_mails_a_notice_that_names_when_and_where_and_holds_no_secret() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = app.new_client();
    account_with_address(&app, &c, "alice", "alice@example.test").await;
    let (secret, codes) = app.turn_on_two_factor(&c).await;

    let notice = sink.wait_for("alice@example.test", 1).await.remove(0);
    assert_eq!(notice.subject(), "Two-factor authentication is on");
    let body = notice.body();
    assert!(body.contains("When: ") && body.contains(" UTC"), "{body}");
    assert!(body.contains("From: ") && body.contains("127.0.0.1"), "{body}");
    assert!(body.contains("If this was not you"), "{body}");
    assert!(notice.header("From").unwrap().contains("auth@example.test"));
    assert!(notice.header("Message-ID").unwrap().ends_with("@example.test>"));
    assert!(!notice.raw.contains(&secret), "the key is in the mail");
    for code in &codes {
        assert!(!notice.raw.contains(code.as_str()), "a recovery code is in the mail");
    }

    // New recovery codes, then 2FA off: a notice each, in order.
    let renewed = app.regenerate_recovery_codes(&c, &app.code(&secret, 1)).await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let renewed: Value = renewed.json().await.unwrap();
    app.advance(30);
    let off = app.disable_two_factor(&c, PASSWORD, &app.code(&secret, 1)).await;
    assert_eq!(off.status(), StatusCode::OK);
    let all = sink.wait_for("alice@example.test", 3).await;
    assert_eq!(all[1].subject(), "New recovery codes");
    assert_eq!(all[2].subject(), "Two-factor authentication is off");
    for code in renewed["recovery_codes"].as_array().unwrap() {
        assert!(!all[1].raw.contains(code.as_str().unwrap()), "a new recovery code is in the mail");
    }
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_told_and_one_from_a_known_device_is_not() {
    let (app, sink) = spawn_app_with_mail().await;
    let known = app.new_client();
    account_with_address(&app, &known, "bob", "bob@example.test").await;
    app.logout(&known).await;
    // The browser that registered is known: signing in there again tells nobody.
    assert_eq!(app.login(&known, "bob", PASSWORD).await.status(), StatusCode::OK);
    let stranger = app.new_client();
    assert_eq!(app.login(&stranger, "bob", PASSWORD).await.status(), StatusCode::OK);

    sink.wait_for("bob@example.test", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mail: Vec<_> = sink.to("bob@example.test");
    assert_eq!(mail.len(), 1, "one notice, for the new device only: {mail:#?}");
    assert_eq!(mail[0].subject(), "New sign-in to your account");
    // A wrong password from a new device tells nothing.
    let third = app.new_client();
    assert_eq!(app.login(&third, "bob", "wrong password!!").await.status(), StatusCode::UNAUTHORIZED);
    // The stranger's browser is known from now on.
    app.logout(&stranger).await;
    assert_eq!(app.login(&stranger, "bob", PASSWORD).await.status(), StatusCode::OK);
    app.register(&app.new_client(), "marker", PASSWORD).await;
    app.operator(&["user", "set", "marker", "--email", "marker@example.test"]);
    let m = app.new_client();
    assert_eq!(app.login(&m, "marker", PASSWORD).await.status(), StatusCode::OK);
    sink.wait_for("marker@example.test", 1).await;
    assert_eq!(sink.to("bob@example.test").len(), 1, "no notice for a wrong password or a known device");
}

#[tokio::test]
async fn without_a_verified_address_no_notice_is_sent() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = app.new_client();
    app.register(&c, "carol", PASSWORD).await;
    app.turn_on_two_factor(&c).await;
    // A marker message to another account proves the sender ran past carol's event.
    let d = app.new_client();
    account_with_address(&app, &d, "dave", "dave@example.test").await;
    app.turn_on_two_factor(&d).await;
    sink.wait_for("dave@example.test", 1).await;
    assert_eq!(sink.received().len(), 1, "{:#?}", sink.received());
}

/// The server binary as a process on `database_url`, mail to `smtp_url`.
struct ServerProcess {
    child: Child,
    address: String,
}

impl ServerProcess {
    async fn start(database_url: &str, smtp_url: &str, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("TOTP_ENCRYPTION_KEY", TEST_KEY)
            .env("SMTP_URL", smtp_url)
            .env("MAIL_FROM", "auth@example.test")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let server = Self { child, address: format!("http://127.0.0.1:{port}") };
        for _ in 0..100 {
            if let Ok(r) = client().get(format!("{}/healthz", server.address)).send().await {
                if r.status() == StatusCode::OK {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server on port {port} did not become healthy");
    }

    async fn post(&self, c: &Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        c.post(format!("{}/api/{endpoint}", self.address))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// SIGKILL: no shutdown, no flushing, nothing.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_message_queued_before_a_sigkill_is_delivered_once_after_the_restart() {
    let mut sink = MailSink::start();
    sink.stop(); // the SMTP server is down: the message waits in the outbox
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let port = free_port();
    let first = ServerProcess::start(&database_url, &sink.url(), port).await;

    let c = Client::builder().cookie_store(true).build().unwrap();
    assert_eq!(first.post(&c, "register", &[("username", "erin"), ("password", PASSWORD)]).await.status(), 200);
    let set = operator_output(&database_url, &["user", "set", "erin", "--email", "erin@example.test"], "");
    assert!(set.status.success());
    let setup: Value = first.post(&c, "2fa/setup", &[]).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap();
    let confirmed = first.post(&c, "2fa/confirm", &[("otp", &code_now(secret, 0))]).await;
    assert_eq!(confirmed.status(), 200, "the event: 2FA on");

    // The event and its message are committed together; the message has not gone.
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&database_url).await.unwrap();
    let waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&db).await.unwrap();
    assert_eq!(waiting, 1);
    first.kill();

    sink.restart();
    let second = ServerProcess::start(&database_url, &sink.url(), port).await;
    let delivered = sink.wait_for("erin@example.test", 1).await;
    assert_eq!(delivered[0].subject(), "Two-factor authentication is on");
    // Longer than the sender's poll: nothing goes twice.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let all = sink.to("erin@example.test");
    assert_eq!(all.len(), 1, "{all:#?}");
    let sent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL").fetch_one(&db).await.unwrap();
    assert_eq!(sent, 1);
    drop(second);
}

#[tokio::test]
async fn mail_test_sends_at_once_and_prints_the_smtp_answer() {
    let sink = MailSink::start();
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let run = |smtp: Option<String>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .args(["mail", "test", "ops@example.test"])
            .env("DATABASE_URL", &database_url)
            .env("TOTP_ENCRYPTION_KEY", TEST_KEY);
        command.env_remove("SMTP_URL").env_remove("MAIL_FROM");
        if let Some(smtp) = smtp {
            command.env("SMTP_URL", smtp).env("MAIL_FROM", "auth@example.test");
        }
        command.output().unwrap()
    };
    let sent = run(Some(sink.url()));
    let stdout = String::from_utf8_lossy(&sent.stdout);
    assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    assert!(stdout.contains("250"), "{stdout}");
    assert_eq!(sink.wait_for("ops@example.test", 1).await[0].subject(), "Test message from the sign-in service");

    let off = run(None);
    assert!(!off.status.success());
    assert!(String::from_utf8_lossy(&off.stderr).contains("SMTP_URL"));

    let mut down = MailSink::start();
    down.stop();
    let refused = run(Some(down.url()));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not sent"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[tokio::test]
async fn required_starttls_sends_nothing_to_a_server_that_does_not_offer_it() {
    // The sink speaks plain SMTP only: with `tls=required` (what `smtp://` to a host off loopback
    // means) neither the password nor the message may go to it.
    let sink = MailSink::start();
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["mail", "test", "ops@example.test"])
        .env("DATABASE_URL", &database_url)
        .env("TOTP_ENCRYPTION_KEY", TEST_KEY)
        .env("SMTP_URL", format!("smtp://user:secret@127.0.0.1:{}?tls=required", sink.port))
        .env("MAIL_FROM", "auth@example.test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("not sent"), "{stderr}");
    assert!(!stderr.contains("secret"), "the password is never echoed: {stderr}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.received().is_empty(), "{:#?}", sink.received());
}
