//! Verified addresses through a real SMTP server (aiosmtpd, `helpers::mail`): a new address gets
//! a link and the old verified one a notice; apps are given the address (`Remote-Email`, OIDC
//! `email` with `email_verified`) only once the link is followed by the same account, signed in;
//! a link followed by another account, twice, late, for an address since changed, or by nobody
//! signed in verifies nothing; the mails carry no secret but the link; with mail off nothing of
//! this is sent or offered.

use crate::helpers::{
    fresh_database_url, json,
    mail::{MailSink, Received},
    spawn_app, spawn_app_with, test_config, TestApp,
};
use crate::openid_connect::{exchange, jwt_part, location, query_param, redirect_param, register, rp_http, CHALLENGE};
use domain::{access_rules::AccessRules, openid::store::clients::ClientPolicy};
use reqwest::{header, Client, Response, StatusCode};
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

/// The server with mail on (through a fresh SMTP sink), `PUBLIC_URL` its own address (the links'
/// and the OpenID Connect issuer's), and a gate that lets a one-factor sign-in through.
pub(crate) async fn app_with_mail() -> (TestApp, MailSink) {
    let sink = MailSink::start();
    let folder = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.leptos.site_addr = ([127, 0, 0, 1], port).into();
    config.settings.public_url = format!("http://127.0.0.1:{port}");
    config.smtp = Some(server::infra::mail::smtp_url::parse(&sink.url()).unwrap());
    config.settings.mail = domain::mail::MailIdentity::new("Sign-in <auth@example.test>");
    config.settings.access_rules = Arc::new(AccessRules::parse("default_policy = \"one_factor\"").unwrap());
    let mut app = spawn_app_with(config).await;
    app.keep_folder(folder);
    (app, sink)
}

async fn save_email(app: &TestApp, c: &Client, email: &str) -> (StatusCode, serde_json::Value) {
    json(app.post(c, "profile", &[("display_name", ""), ("email", email)]).await).await
}

/// The path of the verification link in `mail` (`/verify-email/{token}`).
fn link_path(app: &TestApp, mail: &Received) -> String {
    let link = mail.link(&app.url("/verify-email/")).unwrap_or_else(|| panic!("no link in {}", mail.body()));
    // Sent as 7bit text: the link is whole in the message as it travels, not only once decoded.
    assert!(mail.raw.contains(&link), "the link is cut in the message as sent: {}", mail.raw);
    link.strip_prefix(&app.address).unwrap().to_owned()
}

/// The verification link of the `n`-th message (from 1) to `to`, once it has arrived.
async fn nth_link(app: &TestApp, sink: &MailSink, to: &str, n: usize) -> String {
    let mail = sink.wait_for(to, n).await.remove(n - 1);
    assert_eq!(mail.subject(), "Confirm your email address");
    link_path(app, &mail)
}

async fn follow(app: &TestApp, c: &Client, path: &str) -> Response {
    c.get(app.url(path)).send().await.unwrap()
}

fn location_of(r: &Response) -> &str {
    r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

async fn verified(app: &TestApp, username: &str) -> bool {
    let at: Option<i64> = sqlx::query_scalar("SELECT email_verified_at FROM users WHERE username_key = $1")
        .bind(username)
        .fetch_one(&app.db)
        .await
        .unwrap();
    at.is_some()
}

async fn profile_page(app: &TestApp, c: &Client) -> String {
    let r = c.get(app.url("/account/profile")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// `Remote-Email` as the gate answers a proxy asking about a page of an app behind it.
async fn remote_email(app: &TestApp, c: &Client) -> String {
    let r = c
        .get(app.url("/api/authz/forward-auth"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "wiki.example.test")
        .header("x-forwarded-uri", "/")
        .header("x-forwarded-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.headers()["remote-email"].to_str().unwrap().to_owned()
}

/// Sends a message to `marker@example.test` and waits for it: the sender delivers in order, so
/// anything queued before it has been sent too.
async fn flush_mail(app: &TestApp, sink: &MailSink) {
    let c = app.new_client();
    app.register(&c, "marker", PASSWORD).await;
    assert_eq!(save_email(app, &c, "marker@example.test").await.0, StatusCode::OK);
    sink.wait_for("marker@example.test", 1).await;
}

#[tokio::test]
async fn changing_the_address_mails_a_link_to_the_new_one_and_a_notice_to_the_old_verified_one() {
    let (app, sink) = app_with_mail().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    app.operator(&["user", "set", "alice", "--email", "old@example.test"]);
    assert!(verified(&app, "alice").await, "the operator vouches for what they set: no link");

    assert_eq!(save_email(&app, &c, "new@example.test").await.0, StatusCode::OK);
    let link = sink.wait_for("new@example.test", 1).await.remove(0);
    assert_eq!(link.subject(), "Confirm your email address");
    assert!(link.body().contains("within 30 minutes"), "{}", link.body());
    link_path(&app, &link);
    let notice = sink.wait_for("old@example.test", 1).await.remove(0);
    assert_eq!(notice.subject(), "Your email address was changed");
    assert!(notice.body().contains("If this was not you"), "{}", notice.body());
    assert!(!notice.body().contains("/verify-email/"), "the old address gets no link");

    assert!(!verified(&app, "alice").await, "a changed address is not verified");
    let page = profile_page(&app, &c).await;
    assert!(page.contains("Not verified") && page.contains("Send the link again"), "{page}");
    let security: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM security_events ORDER BY id").fetch_all(&app.db).await.unwrap();
    assert!(security.contains(&"email.changed".to_owned()), "{security:?}");

    // The same address again, or the display name alone: no mail.
    assert_eq!(save_email(&app, &c, "new@example.test").await.0, StatusCode::OK);
    flush_mail(&app, &sink).await;
    assert_eq!(sink.to("new@example.test").len(), 1);
    assert_eq!(sink.to("old@example.test").len(), 1);

    // Clearing a verified address tells it too.
    let c2 = app.new_client();
    app.register(&c2, "bob", PASSWORD).await;
    app.operator(&["user", "set", "bob", "--email", "bob@example.test"]);
    assert_eq!(save_email(&app, &c2, "").await.0, StatusCode::OK);
    let cleared = sink.wait_for("bob@example.test", 1).await.remove(0);
    assert_eq!(cleared.subject(), "Your email address was changed");
}

#[tokio::test]
async fn the_address_reaches_apps_only_once_the_same_account_follows_the_link() {
    let (app, sink) = app_with_mail().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    let userinfo_and_id_token = || async {
        let url = app.url(&format!(
            "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid%20email&code_challenge={CHALLENGE}&code_challenge_method=S256",
            redirect_param()
        ));
        let code = query_param(&location(&c.get(url).send().await.unwrap()), "code").expect("a code");
        let (status, tokens) = exchange(&app, &code).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let r = rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send().await.unwrap();
        [r.json::<serde_json::Value>().await.unwrap(), jwt_part(tokens["id_token"].as_str().unwrap(), 1)]
    };

    assert_eq!(save_email(&app, &c, "alice@example.test").await.0, StatusCode::OK);
    let link = nth_link(&app, &sink, "alice@example.test", 1).await;
    assert_eq!(remote_email(&app, &c).await, "", "not verified: not given to apps");
    for answer in userinfo_and_id_token().await {
        assert!(answer.get("email").is_none(), "{answer}");
        assert_eq!(answer["email_verified"], false, "{answer}");
    }

    let r = follow(&app, &c, &link).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location_of(&r), "/account/profile");
    let page = profile_page(&app, &c).await;
    assert!(page.contains("Your email address is verified."), "the flash: {page}");
    assert!(page.contains(">Verified<") && !page.contains("Send the link again"), "{page}");
    assert!(verified(&app, "alice").await);
    assert_eq!(remote_email(&app, &c).await, "alice@example.test", "given to apps at once");
    for answer in userinfo_and_id_token().await {
        assert_eq!(answer["email"], "alice@example.test", "{answer}");
        assert_eq!(answer["email_verified"], true, "{answer}");
    }
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM security_events ORDER BY id").fetch_all(&app.db).await.unwrap();
    assert!(kinds.contains(&"email.verified".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn a_link_followed_by_another_signed_in_account_verifies_nothing_and_stays_usable_by_its_owner() {
    let (app, sink) = app_with_mail().await;
    let (alice, bob) = (app.new_client(), app.new_client());
    app.register(&alice, "alice", PASSWORD).await;
    app.register(&bob, "bob", PASSWORD).await;
    assert_eq!(save_email(&app, &alice, "alice@example.test").await.0, StatusCode::OK);
    let link = nth_link(&app, &sink, "alice@example.test", 1).await;

    let r = follow(&app, &bob, &link).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(page.contains("another account"), "{page}");
    assert!(!verified(&app, "alice").await && !verified(&app, "bob").await);
    let bob_email: Option<String> =
        sqlx::query_scalar("SELECT email FROM users WHERE username_key = 'bob'").fetch_one(&app.db).await.unwrap();
    assert_eq!(bob_email, None, "nothing of alice's reached bob's account");
    assert_eq!(remote_email(&app, &bob).await, "");

    let r = follow(&app, &alice, &link).await;
    assert_eq!((r.status(), location_of(&r)), (StatusCode::SEE_OTHER, "/account/profile"), "still open for alice");
    assert!(verified(&app, "alice").await);
}

#[tokio::test]
async fn a_link_works_once() {
    let (app, sink) = app_with_mail().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    assert_eq!(save_email(&app, &c, "alice@example.test").await.0, StatusCode::OK);
    let link = nth_link(&app, &sink, "alice@example.test", 1).await;
    assert_eq!(follow(&app, &c, &link).await.status(), StatusCode::SEE_OTHER);

    let again = follow(&app, &c, &link).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.text().await.unwrap().contains("used already"));
    let unknown = follow(&app, &c, "/verify-email/00ff").await;
    assert_eq!(unknown.status(), StatusCode::GONE);
    let malformed = follow(&app, &c, "/verify-email/not%20a%20token").await;
    assert_eq!(malformed.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_link_expires_after_30_minutes() {
    let (app, sink) = app_with_mail().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    assert_eq!(save_email(&app, &c, "alice@example.test").await.0, StatusCode::OK);
    let link = nth_link(&app, &sink, "alice@example.test", 1).await;
    // The session is used in between, so it outlives its 30 idle minutes; the link does not.
    app.advance(20 * 60);
    assert_eq!(app.me(&c).await.status(), StatusCode::OK);
    app.advance(11 * 60);
    let late = follow(&app, &c, &link).await;
    assert_eq!(late.status(), StatusCode::GONE);
    assert!(!verified(&app, "alice").await);
    assert_eq!(remote_email(&app, &c).await, "");
}

#[tokio::test]
async fn a_link_for_an_address_since_changed_verifies_nothing() {
    let (app, sink) = app_with_mail().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    assert_eq!(save_email(&app, &c, "first@example.test").await.0, StatusCode::OK);
    let first = nth_link(&app, &sink, "first@example.test", 1).await;
    assert_eq!(save_email(&app, &c, "second@example.test").await.0, StatusCode::OK);
    let second = nth_link(&app, &sink, "second@example.test", 1).await;

    assert_eq!(follow(&app, &c, &first).await.status(), StatusCode::GONE, "replaced by the change");
    assert!(!verified(&app, "alice").await);

    // Changed by an administrator (no new link voids the old one): the address the link was
    // sent to is not the account's any more.
    let c2 = app.new_client();
    app.register(&c2, "bob", PASSWORD).await;
    assert_eq!(save_email(&app, &c2, "bob@example.test").await.0, StatusCode::OK);
    let bobs = nth_link(&app, &sink, "bob@example.test", 1).await;
    sqlx::query("UPDATE users SET email = 'bob@elsewhere.test' WHERE username_key = 'bob'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(follow(&app, &c2, &bobs).await.status(), StatusCode::GONE);
    assert!(!verified(&app, "bob").await, "the address bob has now was never verified");

    assert_eq!(follow(&app, &c, &second).await.status(), StatusCode::SEE_OTHER, "the newest link works");
    let email: String =
        sqlx::query_scalar("SELECT email FROM users WHERE username_key = 'alice'").fetch_one(&app.db).await.unwrap();
    assert_eq!(email, "second@example.test");
}

#[tokio::test]
async fn not_signed_in_a_link_verifies_nothing_and_the_sign_in_comes_back_to_it() {
    let (app, sink) = app_with_mail().await;
    let (totp, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let c = app.pending_client("alice", PASSWORD).await;
    assert_eq!(app.submit_code(&c, &app.code(&totp, 1)).await.status(), StatusCode::OK);
    assert_eq!(save_email(&app, &c, "alice@example.test").await.0, StatusCode::OK);
    let link = nth_link(&app, &sink, "alice@example.test", 1).await;
    let rd = format!("rd=%2Fverify-email%2F{}", link.rsplit('/').next().unwrap());

    // Another browser, not signed in: sent to sign in, the link unused.
    let browser = app.new_client();
    let r = follow(&app, &browser, &link).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location_of(&r), format!("/login?{rd}"));
    let used: Option<i64> = sqlx::query_scalar("SELECT used_at FROM email_links").fetch_one(&app.db).await.unwrap();
    assert_eq!(used, None, "the link is not used");
    assert!(!verified(&app, "alice").await);

    // The password alone does not verify (2FA is on): on to the code, still carrying the link.
    let token = link.rsplit('/').next().unwrap();
    let back = format!("/verify-email/{token}");
    let r = app.form_post(&browser, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", &back)]).await;
    assert_eq!(location_of(&r), format!("/login/2fa?{rd}"));
    let r = follow(&app, &browser, &link).await;
    assert_eq!(location_of(&r), format!("/login/2fa?{rd}"));
    assert!(!verified(&app, "alice").await, "half-way in verifies nothing");

    app.advance(60);
    let r = app.form_post(&browser, "login/2fa", &[("otp", &app.code(&totp, 0)), ("rd", &back)]).await;
    assert_eq!(location_of(&r), back, "the sign-in comes back to the link");
    let r = follow(&app, &browser, &link).await;
    assert_eq!(location_of(&r), "/account/profile");
    assert!(verified(&app, "alice").await);
}

#[tokio::test]
async fn the_mails_carry_no_secret_but_the_link() {
    let (app, sink) = app_with_mail().await;
    let (totp, codes) = app.user_with_two_factor("alice", PASSWORD).await;
    app.operator(&["user", "set", "alice", "--email", "old@example.test"]);
    let c = app.pending_client("alice", PASSWORD).await;
    assert_eq!(app.submit_code(&c, &app.code(&totp, 1)).await.status(), StatusCode::OK);
    assert_eq!(save_email(&app, &c, "new@example.test").await.0, StatusCode::OK);

    let link = sink.wait_for("new@example.test", 1).await.remove(0);
    let notice = sink.wait_for("old@example.test", 1).await.remove(0);
    let token = link_path(&app, &link).rsplit('/').next().unwrap().to_owned();
    assert_eq!(link.body().matches(&token).count(), 1, "the token is in the link only: {}", link.body());
    assert!(!notice.body().contains(&token), "the old address never sees the link");
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM email_links").fetch_one(&app.db).await.unwrap();
    assert_ne!(stored, token, "only the token's hash is kept");
    // As sent and as a mail client decodes it.
    for text in [&link.raw, &link.body(), &notice.raw, &notice.body()] {
        assert!(!text.contains(PASSWORD), "the password is in {text}");
        assert!(!text.contains(&totp), "the key is in {text}");
        for code in &codes {
            assert!(!text.contains(code.as_str()), "a recovery code is in {text}");
        }
    }
}

#[tokio::test]
async fn sending_the_link_again_replaces_the_old_one_and_is_limited() {
    let (app, sink) = app_with_mail().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    assert_eq!(save_email(&app, &c, "alice@example.test").await.0, StatusCode::OK);
    let first = nth_link(&app, &sink, "alice@example.test", 1).await;

    // With JavaScript off: back to the profile, which says where the link went.
    let r = app.form_post(&c, "profile/verification-link", &[]).await;
    assert_eq!((r.status(), location_of(&r)), (StatusCode::SEE_OTHER, "/account/profile"));
    assert!(profile_page(&app, &c).await.contains("was sent to alice@example.test"));
    let second = nth_link(&app, &sink, "alice@example.test", 2).await;
    assert_ne!(first, second);
    assert_eq!(follow(&app, &c, &first).await.status(), StatusCode::GONE, "the older link is void");

    assert_eq!(json(app.post(&c, "profile/verification-link", &[]).await).await.0, StatusCode::OK);
    let third = nth_link(&app, &sink, "alice@example.test", 3).await;
    let (status, body) = json(app.post(&c, "profile/verification-link", &[]).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "3 links an hour: {body}");

    assert_eq!(follow(&app, &c, &third).await.status(), StatusCode::SEE_OTHER);
    let (status, body) = json(app.post(&c, "profile/verification-link", &[]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "verified already: {body}");
}

/// Two accounts holding one address unverified, following their links at the same moment: the
/// address is verified on one of them only.
#[tokio::test]
async fn an_address_is_verified_on_one_account_at_most_even_at_the_same_moment() {
    let (app, sink) = app_with_mail().await;
    let (alice, mallory) = (app.new_client(), app.new_client());
    app.register(&alice, "alice", PASSWORD).await;
    app.register(&mallory, "mallory", PASSWORD).await;
    assert_eq!(save_email(&app, &alice, "shared@example.test").await.0, StatusCode::OK);
    assert_eq!(save_email(&app, &mallory, "Shared@example.test").await.0, StatusCode::OK, "a claim keeps no one out");
    let mails = sink.wait_for("shared@example.test", 2).await;
    let (first, second) = (link_path(&app, &mails[0]), link_path(&app, &mails[1]));

    let (a, b) = tokio::join!(follow(&app, &alice, &first), follow(&app, &mallory, &second));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let verified_accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_verified_at IS NOT NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(verified_accounts, 1);
}

#[tokio::test]
async fn with_mail_off_no_link_is_sent_or_offered() {
    let app = spawn_app().await;
    let c = app.new_client();
    app.register(&c, "alice", PASSWORD).await;
    assert_eq!(save_email(&app, &c, "alice@example.test").await.0, StatusCode::OK);
    let page = profile_page(&app, &c).await;
    assert!(page.contains("Not verified") && page.contains("ask the administrator"), "{page}");
    assert!(!page.contains("Send the link again"), "{page}");
    for table in ["outbox", "email_links"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&app.db).await.unwrap();
        assert_eq!(rows, 0, "{table}");
    }
    let (status, body) = json(app.post(&c, "profile/verification-link", &[]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
