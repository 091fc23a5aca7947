//! The password reset through a real SMTP server (aiosmtpd, `helpers::mail`): the link mailed to
//! the verified address sets a new password once and ends every session; with 2FA on the link
//! alone changes nothing; the request answers the same, in comparable time, whatever was typed;
//! links are single-use, expire after 30 minutes, and two uses at once set one password;
//! remembered devices are forgotten; the limits refuse silently; the mail holds no secret but
//! the link; with mail off nothing of it exists. (`docs/contract/api.md`, "Password reset".)

use crate::helpers::{
    fresh_database_url,
    mail::{spawn_app_with_mail, MailSink, Received},
    spawn_app, spawn_app_with, test_config, TestApp,
};
use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new passphrase";
const LINK_REQUESTED: &str =
    "If an account matches, we have sent a link to its email address. It works for 30 minutes.";
const GONE: &str = "This link has expired or was already used. Ask for a new one.";

/// The server with mail on, `per_hour` reset requests allowed per account and per address, and
/// `X-Forwarded-For` believed from the test itself (so a test can come from several addresses).
async fn spawn_with_limit(per_hour: u32) -> (TestApp, MailSink) {
    let sink = MailSink::start();
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.smtp = Some(server::infra::mail::smtp_url::parse(&sink.url()).unwrap());
    config.settings.mail = domain::mail::MailIdentity::new("Sign-in <auth@example.test>");
    config.settings.reset_requests_per_hour = per_hour;
    config.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let mut app = spawn_app_with(config).await;
    app.keep_folder(folder);
    (app, sink)
}

/// Registers `name` (signed in on the returned client) with `email` set by the operator
/// (verified).
async fn account(app: &TestApp, name: &str, email: &str) -> Client {
    let c = app.new_client();
    app.register(&c, name, PASSWORD).await;
    app.operator(&["user", "set", name, "--email", email]);
    c
}

/// `POST /api/password/forgot` as a script.
async fn forgot(app: &TestApp, login: &str) -> Response {
    app.post(&app.new_client(), "password/forgot", &[("login", login)]).await
}

/// The same, from the client address `address` (through the trusted proxy).
async fn forgot_from(app: &TestApp, login: &str, address: &str) -> Response {
    app.new_client()
        .post(app.url("/api/password/forgot"))
        .header(header::ACCEPT, "application/json")
        .header("x-forwarded-for", address)
        .form(&[("login", login)])
        .send()
        .await
        .unwrap()
}

/// `POST /api/password/reset` as a script, on `c`.
async fn reset(app: &TestApp, c: &Client, token: &str, password: &str, second: &[(&str, &str)]) -> Response {
    let mut form = vec![("token", token), ("password", password)];
    form.extend_from_slice(second);
    app.post(c, "password/reset", &form).await
}

/// The token of the reset link in a message.
fn token_of(mail: &Received) -> String {
    let text = mail.body();
    let start = text.find("/reset-password/").expect("a reset link") + "/reset-password/".len();
    text[start..].split(|c: char| c.is_whitespace()).next().unwrap().to_owned()
}

/// The reset mails to `email` so far, oldest first.
fn reset_mails(sink: &MailSink, email: &str) -> Vec<Received> {
    sink.to(email).into_iter().filter(|m| m.subject() == "Reset your password").collect()
}

/// Waits (up to 15 s) for a reset mail to `email` after the `before` there were; its token.
async fn next_link(sink: &MailSink, email: &str, before: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails = reset_mails(sink, email);
        if let Some(newest) = mails.get(before) {
            return token_of(newest);
        }
        assert!(Instant::now() < deadline, "no reset mail to {email} arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to 15 s) for a message to `email` with `subject`.
async fn wait_for_subject(sink: &MailSink, email: &str, subject: &str) -> Received {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = sink.to(email).into_iter().find(|m| m.subject() == subject) {
            return found;
        }
        assert!(Instant::now() < deadline, "no {subject:?} to {email} arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asks for a link for `login` (must answer 200 `{}`) and returns the token it mails to `email`.
async fn link_for(app: &TestApp, sink: &MailSink, login: &str, email: &str) -> String {
    let before = reset_mails(sink, email).len();
    let r = forgot(app, login).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    next_link(sink, email, before).await
}

/// Whether `password` signs `name` in (the password step: 200), on a fresh browser.
async fn password_works(app: &TestApp, name: &str, password: &str) -> bool {
    let r = app.login(&app.new_client(), name, password).await;
    match r.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("login answered {other}"),
    }
}

async fn signed_in(app: &TestApp, c: &Client) -> bool {
    app.me(c).await.status() == StatusCode::OK
}

async fn get(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A marker message to another account: once it has arrived, the sender is past whatever was
/// queued before it (the outbox goes oldest first).
async fn marker(app: &TestApp, sink: &MailSink) {
    let c = account(app, "marker", "marker@example.test").await;
    app.turn_on_two_factor(&c).await;
    sink.wait_for("marker@example.test", 1).await;
}

#[tokio::test]
async fn a_reset_without_two_factor_sets_the_new_password_and_ends_every_session() {
    let (app, sink) = spawn_app_with_mail().await;
    let first = account(&app, "alice", "alice@example.test").await;
    let second = app.new_client();
    assert_eq!(app.login(&second, "alice", PASSWORD).await.status(), StatusCode::OK);
    assert!(signed_in(&app, &first).await && signed_in(&app, &second).await);
    let (_, login_page) = get(&app.new_client(), &app, "/login").await;
    assert!(login_page.contains(r#"href="/forgot-password""#) && login_page.contains("Forgot your password?"));

    let browser = app.new_client();
    let (status, page) = get(&browser, &app, "/forgot-password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Username or email") && page.contains("Send reset link"), "{page}");
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let (status, page) = get(&browser, &app, &format!("/reset-password/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("New password") && page.contains("Set new password"), "{page}");
    assert!(!page.contains("digit code"), "no second factor is asked of an account without 2FA");

    let r = reset(&app, &browser, &token, NEW_PASSWORD, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    assert!(password_works(&app, "alice", NEW_PASSWORD).await);
    assert!(!password_works(&app, "alice", PASSWORD).await, "the old password is void");
    assert!(!signed_in(&app, &first).await, "every session of the account ended");
    assert!(!signed_in(&app, &second).await, "every session of the account ended");
    assert!(!signed_in(&app, &browser).await, "the reset signs nobody in");
    // The owner is told, with no secret in the notice.
    let notice = wait_for_subject(&sink, "alice@example.test", "Your password was changed").await;
    let text = notice.body();
    assert!(!text.contains(NEW_PASSWORD) && !text.contains(&token), "{text}");
}

#[tokio::test]
async fn with_two_factor_the_link_alone_changes_nothing_and_a_right_code_is_needed() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = account(&app, "alice", "alice@example.test").await;
    let (secret, _) = app.turn_on_two_factor(&c).await;
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let (status, page) = get(&app.new_client(), &app, &format!("/reset-password/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("6-digit code") && page.contains(r#"name="otp""#), "{page}");
    assert!(page.contains("Use a recovery code instead") && page.contains(r#"name="recovery_code""#));

    let browser = app.new_client();
    let without = reset(&app, &browser, &token, NEW_PASSWORD, &[]).await;
    assert!(without.status().is_client_error(), "{}", without.status());
    let wrong = reset(&app, &browser, &token, NEW_PASSWORD, &[("otp", "000000")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_recovery = reset(&app, &browser, &token, NEW_PASSWORD, &[("recovery_code", "aaaaa-bbbbb")]).await;
    assert_eq!(wrong_recovery.status(), StatusCode::UNAUTHORIZED);
    assert!(password_works(&app, "alice", PASSWORD).await, "the link alone changed nothing");
    assert!(!password_works(&app, "alice", NEW_PASSWORD).await);

    app.advance(30);
    let code = app.code(&secret, 0);
    let right = reset(&app, &browser, &token, NEW_PASSWORD, &[("otp", &code)]).await;
    assert_eq!(right.status(), StatusCode::OK, "a wrong code left the link usable");
    assert!(!password_works(&app, "alice", PASSWORD).await);
    // 2FA stays on: the new password leads to the code, and the code's step was spent.
    let pending = app.pending_client("alice", NEW_PASSWORD).await;
    assert_eq!(app.submit_code(&pending, &code).await.status(), StatusCode::UNAUTHORIZED, "a step is used once");
    app.advance(30);
    assert_eq!(app.submit_code(&pending, &app.code(&secret, 0)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_recovery_code_resets_the_password_and_is_spent() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = account(&app, "alice", "alice@example.test").await;
    let (_, codes) = app.turn_on_two_factor(&c).await;
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let browser = app.new_client();
    let r = reset(&app, &browser, &token, NEW_PASSWORD, &[("recovery_code", &codes[0])]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(password_works(&app, "alice", NEW_PASSWORD).await);
    let pending = app.pending_client("alice", NEW_PASSWORD).await;
    assert_eq!(app.submit_recovery_code(&pending, &codes[0]).await.status(), StatusCode::UNAUTHORIZED, "spent");
    assert_eq!(app.submit_recovery_code(&pending, &codes[1]).await.status(), StatusCode::OK, "2FA stays on");
}

/// Status, body and (for a form post) where it leads and the flash it sets.
async fn answer(r: Response) -> (StatusCode, Option<String>, Vec<String>, String) {
    let location = r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    let mut cookies: Vec<String> =
        r.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    cookies.sort();
    (r.status(), location, cookies, r.text().await.unwrap())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn the_answer_is_the_same_in_words_and_time_whoever_is_named() {
    let (app, sink) = spawn_with_limit(1000).await;
    account(&app, "alice", "alice@example.test").await;
    app.register(&app.new_client(), "bob", PASSWORD).await;
    // Bob's address is his own word, not verified: no link goes there.
    sqlx::query("UPDATE users SET email = 'bob@example.test', email_verified_at = NULL WHERE username = 'bob'")
        .execute(&app.db)
        .await
        .unwrap();
    account(&app, "carol", "carol@example.test").await;
    app.operator(&["user", "disable", "carol"]);
    let named = ["alice", "ALICE@example.test", "nobody", "nobody@example.test", "bob", "bob@example.test", "carol"];

    let script = answer(forgot(&app, named[0]).await).await;
    assert_eq!(script.0, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&script.3).unwrap(), json!({}));
    let browser = answer(app.form_post(&app.new_client(), "password/forgot", &[("login", named[0])]).await).await;
    assert_eq!((browser.0, browser.1.as_deref()), (StatusCode::SEE_OTHER, Some("/forgot-password")));
    for login in named {
        assert_eq!(answer(forgot(&app, login).await).await, script, "a script, for {login}");
        let form = app.form_post(&app.new_client(), "password/forgot", &[("login", login)]).await;
        assert_eq!(answer(form).await, browser, "a form post, for {login}");
    }
    // The page shows the same words, once.
    let c = app.new_client();
    app.form_post(&c, "password/forgot", &[("login", "nobody")]).await;
    let (_, page) = get(&c, &app, "/forgot-password").await;
    assert!(page.contains(LINK_REQUESTED), "{page}");

    // Comparable time: an account that gets a link, and a name that is nobody's.
    let (mut sent, mut missing) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        for (login, samples) in [("alice", &mut sent), ("nobody", &mut missing)] {
            let started = Instant::now();
            assert_eq!(forgot(&app, login).await.status(), StatusCode::OK);
            samples.push(started.elapsed());
        }
    }
    let (sent, missing) = (median(sent), median(missing));
    assert!(sent >= Duration::from_millis(400) && missing >= Duration::from_millis(400), "{sent:?} {missing:?}");
    let gap = sent.abs_diff(missing);
    assert!(gap < Duration::from_millis(100), "medians {sent:?} (a link sent) and {missing:?} (nobody)");

    // Only the verified address of an enabled account got mail.
    marker(&app, &sink).await;
    let to: std::collections::BTreeSet<String> = sink.received().into_iter().map(|m| m.to).collect();
    assert_eq!(to, ["alice@example.test", "marker@example.test"].map(String::from).into(), "{to:?}");
}

#[tokio::test]
async fn a_link_works_once_a_newer_one_voids_it_and_none_works_after_30_minutes() {
    let (app, sink) = spawn_app_with_mail().await;
    account(&app, "alice", "alice@example.test").await;
    let browser = app.new_client();
    let older = link_for(&app, &sink, "alice", "alice@example.test").await;
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let r = reset(&app, &browser, &older, NEW_PASSWORD, &[]).await;
    assert_eq!(r.status(), StatusCode::GONE, "a newer link voids the older one");
    assert_eq!(reset(&app, &browser, &token, NEW_PASSWORD, &[]).await.status(), StatusCode::OK);
    let again = reset(&app, &browser, &token, "another new passphrase", &[]).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(again.json::<Value>().await.unwrap(), json!({ "error": GONE }));
    let (status, page) = get(&browser, &app, &format!("/reset-password/{token}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains(GONE), "{page}");
    assert!(password_works(&app, "alice", NEW_PASSWORD).await);

    let late = link_for(&app, &sink, "alice", "alice@example.test").await;
    app.advance(31 * 60);
    assert_eq!(get(&browser, &app, &format!("/reset-password/{late}")).await.0, StatusCode::GONE);
    assert_eq!(reset(&app, &browser, &late, "a late passphrase", &[]).await.status(), StatusCode::GONE);
    assert!(password_works(&app, "alice", NEW_PASSWORD).await);
    assert_eq!(get(&browser, &app, "/reset-password/not-a-token").await.0, StatusCode::GONE);
}

#[tokio::test]
async fn a_link_stops_working_when_its_address_changes_or_the_account_is_disabled() {
    let (app, sink) = spawn_app_with_mail().await;
    account(&app, "alice", "alice@example.test").await;
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    app.operator(&["user", "set", "alice", "--email", "alice@elsewhere.test"]);
    assert_eq!(reset(&app, &app.new_client(), &token, NEW_PASSWORD, &[]).await.status(), StatusCode::GONE);

    let token = link_for(&app, &sink, "alice", "alice@elsewhere.test").await;
    app.operator(&["user", "disable", "alice"]);
    assert_eq!(reset(&app, &app.new_client(), &token, NEW_PASSWORD, &[]).await.status(), StatusCode::GONE);
    app.operator(&["user", "enable", "alice"]);
    assert!(password_works(&app, "alice", PASSWORD).await, "nothing changed");
}

#[tokio::test]
async fn two_uses_of_one_link_at_once_set_exactly_one_password() {
    let (app, sink) = spawn_app_with_mail().await;
    account(&app, "alice", "alice@example.test").await;
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let (one, two) = ("the first passphrase", "the second passphrase");
    let (a, b) = tokio::join!(
        app.post_with(app.new_client(), "password/reset", vec![("token", token.as_str()), ("password", one)]),
        app.post_with(app.new_client(), "password/reset", vec![("token", token.as_str()), ("password", two)]),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
    let (winner, loser) = if a.status() == StatusCode::OK { (one, two) } else { (two, one) };
    assert!(password_works(&app, "alice", winner).await, "the winner's password is set");
    assert!(!password_works(&app, "alice", loser).await, "the loser changed nothing");
    assert!(!password_works(&app, "alice", PASSWORD).await);
}

#[tokio::test]
async fn a_reset_forgets_the_remembered_devices() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = account(&app, "alice", "alice@example.test").await;
    let (secret, _) = app.turn_on_two_factor(&c).await;
    let remembered = app.pending_client("alice", PASSWORD).await;
    app.advance(30);
    let r = app.post(&remembered, "login/2fa", &[("otp", &app.code(&secret, 0)), ("remember_device", "on")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    app.logout(&remembered).await;
    let r = app.login(&remembered, "alice", PASSWORD).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "second_factor": false }), "the device is remembered");
    app.logout(&remembered).await;

    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    app.advance(30);
    let r = reset(&app, &app.new_client(), &token, NEW_PASSWORD, &[("otp", &app.code(&secret, 0))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remembered_devices").fetch_one(&app.db).await.unwrap();
    assert_eq!(kept, 0);
    let r = app.login(&remembered, "alice", NEW_PASSWORD).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "second_factor": true }), "the code is asked again");
}

/// A changed password revokes every app password (`docs/contract/forward-auth.md#app-passwords`).
#[tokio::test]
async fn a_reset_revokes_the_app_passwords() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = account(&app, "alice", "alice@example.test").await;
    let r = app.post(&c, "app-passwords/create", &[("name", "phone"), ("days", ""), ("hosts", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let r = reset(&app, &app.new_client(), &token, NEW_PASSWORD, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_passwords").fetch_one(&app.db).await.unwrap();
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn past_the_limit_a_request_answers_the_same_and_sends_nothing() {
    let (app, sink) = spawn_with_limit(3).await;
    account(&app, "alice", "alice@example.test").await;
    account(&app, "bob", "bob@example.test").await;
    // Per account: four requests from four addresses; the fourth sends nothing.
    for (n, address) in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"].into_iter().enumerate() {
        let r = forgot_from(&app, "alice", address).await;
        assert_eq!(r.status(), StatusCode::OK, "request {}", n + 1);
        assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    }
    // Per address: three names from one address, then bob from it: nothing for bob.
    for login in ["nobody", "someone", "anyone", "bob"] {
        let r = forgot_from(&app, login, "198.51.100.9").await;
        assert_eq!((r.status(), r.json::<Value>().await.unwrap()), (StatusCode::OK, json!({})));
    }
    marker(&app, &sink).await;
    assert_eq!(sink.to("alice@example.test").len(), 3, "three an hour per account");
    assert!(sink.to("bob@example.test").is_empty(), "three an hour per address");
    // An hour later, a link again.
    app.advance(3601);
    assert_eq!(forgot_from(&app, "alice", "192.0.2.1").await.status(), StatusCode::OK);
    sink.wait_for("alice@example.test", 4).await;
}

#[tokio::test]
async fn the_reset_mail_holds_no_secret_but_its_link() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = account(&app, "alice", "alice@example.test").await;
    let (secret, codes) = app.turn_on_two_factor(&c).await;
    let token = link_for(&app, &sink, "alice", "alice@example.test").await;
    let mail = reset_mails(&sink, "alice@example.test").remove(0);
    let body = mail.body();
    assert_eq!(body.matches(&token).count(), 1, "the link, once: {body}");
    assert!(body.contains("within 30 minutes") && body.contains("From: "), "{body}");
    assert!(!body.contains(PASSWORD), "the password");
    assert!(!body.contains(&secret), "the key");
    for code in &codes {
        assert!(!body.contains(code.as_str()), "a recovery code");
    }
    for step in -1..=1 {
        assert!(!body.contains(&app.code(&secret, step)), "a current code");
    }
    // Nothing else shaped like a token: no other long run of hex digits.
    let runs = body.split(|c: char| !c.is_ascii_hexdigit()).filter(|run| run.len() >= 16).count();
    assert_eq!(runs, 1, "{body}");
}

#[tokio::test]
async fn with_mail_off_there_is_no_reset() {
    let app = spawn_app().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    let (_, login_page) = get(&app.new_client(), &app, "/login").await;
    assert!(!login_page.contains("Forgot your password?") && !login_page.contains("/forgot-password"));
    assert_eq!(get(&c, &app, "/forgot-password").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&c, &app, "/reset-password/0123abcd").await.0, StatusCode::NOT_FOUND);
    let r = forgot(&app, "alice").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let form = app.form_post(&app.new_client(), "password/forgot", &[("login", "alice")]).await;
    assert_eq!(form.status(), StatusCode::NOT_FOUND);
    let r = reset(&app, &app.new_client(), "0123abcd", NEW_PASSWORD, &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_links").fetch_one(&app.db).await.unwrap();
    assert_eq!(links, 0);
}

/// A form post with JavaScript off: the status and where it leads.
async fn form_post(app: &TestApp, c: &Client, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = app.form_post(c, endpoint, form).await;
    let location = r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status(), location)
}

#[tokio::test]
async fn the_whole_reset_works_without_javascript() {
    let (app, sink) = spawn_app_with_mail().await;
    let c = account(&app, "alice", "alice@example.test").await;
    let (secret, _) = app.turn_on_two_factor(&c).await;
    let browser = app.new_client();
    let before = reset_mails(&sink, "alice@example.test").len();
    assert_eq!(
        form_post(&app, &browser, "password/forgot", &[("login", "alice@example.test")]).await,
        (StatusCode::SEE_OTHER, "/forgot-password".into())
    );
    assert!(get(&browser, &app, "/forgot-password").await.1.contains(LINK_REQUESTED));
    let token = next_link(&sink, "alice@example.test", before).await;
    let page = format!("/reset-password/{token}");
    assert_eq!(get(&browser, &app, &page).await.0, StatusCode::OK);

    let wrong = [("token", token.as_str()), ("password", NEW_PASSWORD), ("otp", "000000")];
    assert_eq!(form_post(&app, &browser, "password/reset", &wrong).await, (StatusCode::SEE_OTHER, page.clone()));
    let (status, html) = get(&browser, &app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("That code is not right"), "{html}");
    let short = [("token", token.as_str()), ("password", "short"), ("otp", "000000")];
    assert_eq!(form_post(&app, &browser, "password/reset", &short).await.1, page);
    assert!(get(&browser, &app, &page).await.1.contains("at least 8 characters"));

    app.advance(30);
    let code = app.code(&secret, 0);
    let right = [("token", token.as_str()), ("password", NEW_PASSWORD), ("otp", code.as_str())];
    assert_eq!(form_post(&app, &browser, "password/reset", &right).await, (StatusCode::SEE_OTHER, "/login".into()));
    assert!(get(&browser, &app, "/login").await.1.contains("Your password is changed. Sign in with it."));
    // Used: the form goes back to the page, which says so (410).
    assert_eq!(form_post(&app, &browser, "password/reset", &right).await.1, page);
    let (status, html) = get(&browser, &app, &page).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains(GONE));
    assert!(password_works(&app, "alice", NEW_PASSWORD).await);
}

#[tokio::test]
async fn malformed_requests_get_a_4xx_never_a_5xx() {
    let (app, _sink) = spawn_app_with_mail().await;
    account(&app, "alice", "alice@example.test").await;
    let long = "a".repeat(5000);
    let bodies = [
        String::new(),
        "login=".into(),
        "login=%00%01".into(),
        format!("login={long}"),
        "login=a&login=b".into(),
        "login=%ff%fe".into(),
        "token=&password=".into(),
        format!("token={long}&password=a+new+passphrase"),
        "token=%00&password=a+new+passphrase".into(),
        format!("token=abc&password={long}"),
        format!("token=abc&password=a+new+passphrase&otp={long}&recovery_code={long}"),
        "token=a&token=b&password=c".into(),
    ];
    for endpoint in ["password/forgot", "password/reset"] {
        for body in &bodies {
            for accept in ["application/json", "text/html"] {
                let r = app
                    .new_client()
                    .post(app.url(&format!("/api/{endpoint}")))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, accept)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                assert!(!status.is_server_error(), "{endpoint} {accept} {:?}: {status}", &body[..body.len().min(40)]);
            }
        }
    }
    assert!(password_works(&app, "alice", PASSWORD).await);
}

/// A form sent in the page (JavaScript on).
async fn in_page(app: &TestApp, c: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
    c.post(app.url(&format!("/api/{endpoint}")))
        .header(header::ACCEPT, "application/json")
        .header("x-in-page", "1")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn in_the_page_the_forms_name_their_next_pages() {
    let (app, sink) = spawn_app_with_mail().await;
    account(&app, "alice", "alice@example.test").await;
    let browser = app.new_client();
    let before = reset_mails(&sink, "alice@example.test").len();
    let r = in_page(&app, &browser, "password/forgot", &[("login", "alice")]).await;
    assert_eq!((r.status(), r.headers()["x-next-page"].to_str().unwrap()), (StatusCode::OK, "/forgot-password"));
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    let token = next_link(&sink, "alice@example.test", before).await;
    let r = in_page(&app, &browser, "password/reset", &[("token", &token), ("password", "short")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("x-next-page").is_none(), "a failure is shown in place");
    let r = in_page(&app, &browser, "password/reset", &[("token", &token), ("password", NEW_PASSWORD)]).await;
    assert_eq!((r.status(), r.headers()["x-next-page"].to_str().unwrap()), (StatusCode::OK, "/login"));
    assert!(get(&browser, &app, "/login").await.1.contains("Your password is changed. Sign in with it."));
}
