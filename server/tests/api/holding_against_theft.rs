//! Someone who already holds one thing — an old session cookie, a copy of the database, an
//! address to flood from, a victim's username — gets no more than they should. Each test is named
//! for the behaviour it proves, grouped by what the attacker holds.

use crate::helpers::{
    client, fresh_database_url, json, session_cookie, spawn_app, spawn_app_with, stored_bytes, test_config, TestApp,
};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// A client that keeps no cookies: the test says exactly which cookie each request carries.
fn bare_client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Signs `username` in with the password on a bare client; returns the session cookie pair.
async fn sign_in_cookie(app: &TestApp, username: &str) -> String {
    let r = app.login(&bare_client(), username, "correct horse").await;
    assert_eq!(r.status(), StatusCode::OK, "login {username}");
    session_cookie(&r).expect("a session cookie")
}

async fn post_with_cookie(app: &TestApp, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    bare_client()
        .post(app.url(&format!("/api/{endpoint}")))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie)
        .form(form)
        .send()
        .await
        .expect("request sent")
}

async fn me_status(app: &TestApp, cookie: &str) -> StatusCode {
    post_with_cookie(app, cookie, "me", &[]).await.status()
}

async fn app_with(change: impl FnOnce(&mut server::startup::config::Config)) -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    change(&mut config);
    (spawn_app_with(config).await, folder)
}

// --- A pending 2FA setup belongs to the session that started it --------------------------

#[tokio::test]
async fn another_session_neither_sees_nor_replaces_a_pending_setup() {
    let app = spawn_app().await;
    let owner = client();
    app.register(&owner, "alice", "correct horse").await;
    let mine: Value = app.start_setup(&owner).await.json().await.unwrap();
    let mine = mine["secret"].as_str().unwrap().to_owned();

    // Another session of the same account (with the password: a thief who has it, say).
    let other = client();
    assert_eq!(app.login(&other, "alice", "correct horse").await.status(), StatusCode::OK);
    let page = other.get(app.url("/account/2fa/setup")).send().await.unwrap().text().await.unwrap();
    let shown = crate::helpers::setup_key_from_page(&page);
    assert!(!shown.is_empty());
    assert_ne!(shown, mine, "the other session must not see the owner's pending key");
    let planted: Value = app.start_setup(&other).await.json().await.unwrap();
    assert_ne!(planted["secret"].as_str().unwrap(), mine);
    // The other session cannot confirm the owner's key either.
    let (status, _) = json(app.confirm_setup(&other, &app.code(&mine, 0)).await).await;
    assert_ne!(status, StatusCode::OK);

    // The owner's page still shows the owner's key, and the owner confirms the owner's key.
    let page = owner.get(app.url("/account/2fa/setup")).send().await.unwrap().text().await.unwrap();
    assert_eq!(crate::helpers::setup_key_from_page(&page), mine);
    let (status, body) = json(app.confirm_setup(&owner, &app.code(&mine, 0)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn reading_the_setup_key_needs_a_recent_sign_in() {
    let (app, _folder) = app_with(|c| c.settings.reauthentication_window_seconds = 1).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    app.advance(2);
    let (status, body) = json(app.start_setup(&c).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let page = c.get(app.url("/account/2fa/setup")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"setup-key\""), "a stale session sees no key");
    assert!(!page.contains("otpauth://"), "nor the QR code's URI");
    assert!(page.contains("reauthenticate-form"), "it is asked for the password instead");
    assert_eq!(app.reauthenticate(&c, "correct horse", None).await.status(), StatusCode::OK);
    assert_eq!(app.start_setup(&c).await.status(), StatusCode::OK);
}

// --- "End every other session" cannot be beaten by the session it ends -------------------

#[tokio::test]
async fn of_two_sessions_ending_each_other_exactly_one_wins() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let mut survivor = sign_in_cookie(&app, "alice").await;
    for round in 0..100 {
        let challenger = sign_in_cookie(&app, "alice").await;
        let (a, b) = tokio::join!(
            post_with_cookie(&app, &survivor, "logout/others", &[]),
            post_with_cookie(&app, &challenger, "logout/others", &[]),
        );
        let (a, b) = (a.status(), b.status());
        assert!(
            (a == StatusCode::OK) != (b == StatusCode::OK),
            "round {round}: exactly one call may win, got {a} and {b}"
        );
        let winner = if a == StatusCode::OK { survivor.clone() } else { challenger.clone() };
        let loser = if a == StatusCode::OK { challenger } else { survivor };
        assert_eq!(me_status(&app, &winner).await, StatusCode::OK, "round {round}: the winner stays");
        assert_eq!(me_status(&app, &loser).await, StatusCode::UNAUTHORIZED, "round {round}: the loser is out");
        survivor = winner;
    }
}

#[tokio::test]
async fn ending_other_sessions_needs_a_recent_sign_in() {
    let (app, _folder) = app_with(|c| c.settings.reauthentication_window_seconds = 1).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    app.advance(2);
    let (status, body) = json(app.end_other_sessions(&c).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(app.reauthenticate(&c, "correct horse", None).await.status(), StatusCode::OK);
    assert_eq!(app.end_other_sessions(&c).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_session_ended_meanwhile_cannot_change_two_factor() {
    // A session whose epoch was raised by another one may not then raise it itself (new
    // recovery codes) and so survive: the change answers 401 and the session is out.
    let app = spawn_app().await;
    let (secret, alice_codes) = app.user_with_two_factor("alice", "correct horse").await;
    let a = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_code(&a, &app.code(&secret, 1)).await.status(), StatusCode::OK);
    let b = app.pending_client("alice", "correct horse").await;
    assert_eq!(app.submit_recovery_code(&b, &alice_codes[0]).await.status(), StatusCode::OK);
    let (ra, rb) = tokio::join!(app.end_other_sessions(&a), app.end_other_sessions(&b));
    assert!((ra.status() == StatusCode::OK) != (rb.status() == StatusCode::OK), "{} {}", ra.status(), rb.status());
    let (winner, loser) = if ra.status() == StatusCode::OK { (a, b) } else { (b, a) };
    let (status, _) = json(app.regenerate_recovery_codes(&loser, "123456").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&loser).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&winner).await.status(), StatusCode::OK);
}

// --- A signed-out session stays out ---------------------------------------------------

/// What ends the session under test.
enum Ending {
    /// Its own logout.
    Logout,
    /// "End every other session", from another session of the account.
    OtherSessionEndsIt,
}

/// `rounds` times: a fresh session of alice is written to (starting a setup stores its token in
/// the session) while it is ended; afterwards it must be out.
async fn race_a_write_against_an_end(rounds: usize, ending: Ending) {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let keeper = sign_in_cookie(&app, "alice").await;
    for round in 0..rounds {
        let cookie = sign_in_cookie(&app, "alice").await;
        let (ender, endpoint) = match ending {
            Ending::Logout => (&cookie, "logout"),
            Ending::OtherSessionEndsIt => (&keeper, "logout/others"),
        };
        let (ended, _write) = tokio::join!(
            post_with_cookie(&app, ender, endpoint, &[]),
            post_with_cookie(&app, &cookie, "2fa/setup", &[]),
        );
        assert_eq!(ended.status(), StatusCode::OK, "round {round}");
        assert_eq!(me_status(&app, &cookie).await, StatusCode::UNAUTHORIZED, "round {round}: the session came back");
    }
}

#[tokio::test]
async fn a_request_in_flight_cannot_bring_back_a_signed_out_session() {
    race_a_write_against_an_end(200, Ending::Logout).await;
}

#[tokio::test]
async fn a_session_ended_from_elsewhere_stays_out() {
    race_a_write_against_an_end(50, Ending::OtherSessionEndsIt).await;
}

// --- Registration is throttled per client address, and can be closed -------------------

#[tokio::test]
async fn registration_is_throttled_per_client_address() {
    let (app, _folder) = app_with(|c| c.settings.registrations_per_address_per_hour = 3).await;
    app.register(&client(), "taken", "correct horse").await;
    // Refusals (a taken name, a short password) do not use up the allowance.
    assert_eq!(app.try_register(&client(), "taken", "correct horse").await.status(), StatusCode::CONFLICT);
    assert_eq!(app.try_register(&client(), "short", "x").await.status(), StatusCode::BAD_REQUEST);
    app.register(&client(), "bob", "correct horse").await;
    app.register(&client(), "carol", "correct horse").await;
    let r = app.try_register(&client(), "dave", "correct horse").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Try again"), "{body}");
    // Nothing was made.
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db).await.unwrap();
    assert_eq!(users, 3);
}

#[tokio::test]
async fn closed_registration_refuses_with_403_and_says_so() {
    let (app, _folder) = app_with(|c| c.settings.registration_open = false).await;
    let (status, body) = json(app.try_register(&client(), "alice", "correct horse").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].as_str().unwrap().contains("administrator"), "{body}");
    let page = client().get(app.url("/register")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("registration-closed"));
    assert!(!page.contains("name=\"password\""), "no form to fill in");
    // Without JavaScript: back to /register with the message.
    let r = client()
        .post(app.url("/api/register"))
        .header(header::ACCEPT, "text/html")
        .form(&[("username", "alice"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/register");
}

#[tokio::test]
async fn a_password_attempt_answered_503_is_given_back() {
    // Hashing never finishes in time here: every password check is answered 503 (busy).
    let (app, _folder) = app_with(|c| c.settings.password_wait = Duration::ZERO).await;
    let c = client();
    for attempt in 0..30 {
        let r = app.login(&c, "alice", "some password").await;
        assert_eq!(
            r.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "attempt {attempt}: an undecided attempt is no failure"
        );
        assert!(r.headers().contains_key("retry-after"));
    }
    let counted: Vec<i64> = sqlx::query_scalar("SELECT failures FROM login_throttle").fetch_all(&app.db).await.unwrap();
    assert!(counted.iter().all(|f| *f == 0), "failures counted: {counted:?}");
}

// --- Session ids are not stored in clear; secret files are private ----------------------

#[tokio::test]
async fn the_database_holds_no_session_id_and_a_stored_key_opens_nothing() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let cookie = sign_in_cookie(&app, "alice").await;
    let value = cookie.strip_prefix("session=").unwrap().to_owned();
    assert_eq!(me_status(&app, &cookie).await, StatusCode::OK);
    let stored = stored_bytes(&app).await;
    assert!(!stored.windows(value.len()).any(|w| w == value.as_bytes()), "the session id is stored in clear");
    let keys: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(&app.db).await.unwrap();
    let expected = sha256_hex(value.as_bytes());
    assert!(keys.contains(&expected), "sessions are stored under SHA-256 of the cookie value");
    for key in keys {
        assert_eq!(me_status(&app, &format!("session={key}")).await, StatusCode::UNAUTHORIZED);
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_its_journal_the_key_file_and_their_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;
    if crate::helpers::on_postgres() {
        return;
    }
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    let db = app.db_path.clone().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600, "the database file");
    for suffix in ["-wal", "-shm"] {
        let mut other = db.clone().into_os_string();
        other.push(suffix);
        let other = std::path::PathBuf::from(other);
        if other.exists() {
            assert_eq!(mode(&other), 0o600, "{}", other.display());
        }
    }
    assert_eq!(mode(&db.parent().unwrap().join("totp.key")), 0o600, "the key file");
    assert_eq!(mode(db.parent().unwrap()), 0o700, "the folder the server made");
}

// --- Nobody can keep someone else out ---------------------------------------------------

#[tokio::test]
async fn hammering_a_username_does_not_delay_its_owner_on_a_known_device() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    // The owner's browser signs in once, and so becomes a known device.
    let owner = client();
    assert_eq!(app.login(&owner, "alice", "correct horse").await.status(), StatusCode::OK);
    assert_eq!(app.logout(&owner).await.status(), StatusCode::OK);
    // Someone else hammers the username until it is delayed.
    let attacker = client();
    let mut throttled = false;
    for _ in 0..15 {
        let r = app.login(&attacker, "alice", "wrong horse").await;
        throttled |= r.status() == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(throttled, "the username is delayed for unknown devices");
    // A browser that never signed in meets the delay, even with the right password...
    let stranger = client();
    let r = app.login(&stranger, "alice", "correct horse").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...but the owner, on their own device, is not delayed.
    let r = app.login(&owner, "alice", "correct horse").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.me(&owner).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_device_token_counts_only_for_its_own_username_and_its_own_failures() {
    let app = spawn_app().await;
    app.register(&client(), "alice", "correct horse").await;
    app.register(&client(), "bob", "correct horse").await;
    let device = client();
    assert_eq!(app.login(&device, "alice", "correct horse").await.status(), StatusCode::OK);
    // Alice's device token does not spare it bob's delay.
    let attacker = client();
    for _ in 0..15 {
        app.login(&attacker, "bob", "wrong horse").await;
    }
    let r = app.login(&device, "bob", "correct horse").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "a token for alice is no token for bob");
    // A known device guessing is delayed on its own count.
    let mut throttled = false;
    for _ in 0..15 {
        throttled |= app.login(&device, "alice", "wrong horse").await.status() == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(throttled, "a known device's own failures still count");
}

// --- Sessions end when they should --------------------------------------------------------

#[tokio::test]
async fn the_idle_timeout_is_moved_by_activity() {
    // A 6 s idle timeout: a session in use has its expiry moved once 3 s have passed.
    let (app, _folder) = app_with(|c| c.sessions.idle = Duration::from_secs(6)).await;
    app.register(&client(), "alice", "correct horse").await;
    let cookie = sign_in_cookie(&app, "alice").await;
    // Used every 3 s for 9 s in all: longer than the timeout, never idle for it.
    for _ in 0..3 {
        app.advance(3);
        assert_eq!(me_status(&app, &cookie).await, StatusCode::OK, "activity keeps the session");
    }
    app.advance(7);
    assert_eq!(me_status(&app, &cookie).await, StatusCode::UNAUTHORIZED, "idle longer than the timeout");
}

#[tokio::test]
async fn every_session_has_an_absolute_lifetime() {
    // Times are whole seconds: a 5 s lifetime leaves the checks at +1 s and +2 s a margin.
    let (app, _folder) = app_with(|c| c.sessions.max_age = Duration::from_secs(5)).await;
    app.register(&client(), "alice", "correct horse").await;
    let cookie = sign_in_cookie(&app, "alice").await;
    for _ in 0..2 {
        app.advance(1);
        assert_eq!(me_status(&app, &cookie).await, StatusCode::OK);
    }
    app.advance(4);
    assert_eq!(me_status(&app, &cookie).await, StatusCode::UNAUTHORIZED, "however busy, it ends");
}

// --- Only what should be served is served -------------------------------------------------

#[tokio::test]
async fn no_file_of_the_site_root_but_pkg_is_served() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("secret.txt"), "do not serve me").unwrap();
    std::fs::write(site.path().join("pkg").join("app.css"), "body{}").unwrap();
    let root = site.path().to_str().unwrap().to_owned();
    let (app, _folder) = app_with(|c| c.leptos.site_root = root.into()).await;
    let r = client().get(app.url("/secret.txt")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("do not serve me"));
    assert_eq!(client().get(app.url("/pkg/app.css")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn start_up_refuses_a_database_or_key_file_inside_the_site_root() {
    if crate::helpers::on_postgres() {
        return;
    }
    let site = tempfile::tempdir().unwrap();
    let mut config = test_config(format!("sqlite://{}", site.path().join("data").join("app.db").display()));
    config.leptos.site_root = site.path().to_str().unwrap().into();
    let refused = server::Application::build(config).await.err().expect("refused");
    assert!(refused.to_string().contains("site root"), "{refused}");
    assert!(!site.path().join("data").exists(), "nothing was created there");

    let elsewhere = tempfile::tempdir().unwrap();
    let mut config = test_config(format!("sqlite://{}", elsewhere.path().join("app.db").display()));
    config.leptos.site_root = site.path().to_str().unwrap().into();
    config.totp_key =
        Some(server::infra::encryption_key::KeySource::File { path: site.path().join("totp.key"), create: true });
    let refused = server::Application::build(config).await.err().expect("refused");
    assert!(refused.to_string().contains("site root"), "{refused}");
}

// --- Cookies ------------------------------------------------------------------------------

#[tokio::test]
async fn secure_cookies_are_host_prefixed_and_the_flash_cookie_is_secure_too() {
    let (app, _folder) = app_with(|c| c.settings.secure_cookies = true).await;
    let r = app.try_register(&bare_client(), "alice", "correct horse").await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookies: Vec<String> =
        r.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("__Host-session=")).expect("a __Host- session cookie");
    assert!(session.contains("Secure") && session.contains("Path=/") && !session.contains("Domain"), "{session}");
    let r = bare_client()
        .post(app.url("/api/login"))
        .header(header::ACCEPT, "text/html")
        .form(&[("username", "alice"), ("password", "wrong horse")])
        .send()
        .await
        .unwrap();
    let flash = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("flash="));
    assert!(flash.expect("a flash cookie").contains("Secure"));
    let r = app.login(&bare_client(), "alice", "correct horse").await;
    let device = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("device="));
    assert!(device.expect("a device cookie").starts_with("__Host-device="));
}

/// Browsers ignore a `__Host-` or `__Secure-` cookie set without `Secure`, even one that only
/// clears: the logout's clearing cookie must carry it, or the browser keeps the session's.
#[tokio::test]
async fn the_cookie_that_clears_a_prefixed_session_at_logout_is_secure() {
    for domain in [None, Some("example.test")] {
        let (app, _folder) = app_with(|c| {
            c.settings.secure_cookies = true;
            c.settings.cookie_domain = domain.map(str::to_owned);
        })
        .await;
        let r = app.try_register(&bare_client(), "alice", "correct horse").await;
        assert_eq!(r.status(), StatusCode::OK);
        // The session's cookie (registering also hands the browser its device cookie).
        let set = r
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.split('=').next().is_some_and(|name| name.ends_with("session")))
            .unwrap();
        let (name_value, _) = set.split_once(';').unwrap();
        let r = bare_client()
            .post(app.url("/api/logout"))
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, name_value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let name = name_value.split_once('=').unwrap().0;
        let clearing: Vec<String> = r
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .filter(|c| c.starts_with(&format!("{name}=")))
            .collect();
        assert_eq!(clearing.len(), 1, "{domain:?}: one clearing cookie: {clearing:?}");
        let attributes: Vec<String> = clearing[0].split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
        assert!(attributes.iter().any(|a| a == "secure"), "{domain:?}: {}", clearing[0]);
        assert!(attributes.iter().any(|a| a == "max-age=0"), "{domain:?}: {}", clearing[0]);
    }
}

#[tokio::test]
async fn plain_http_cookies_keep_plain_names() {
    let app = spawn_app().await;
    let r = app.try_register(&bare_client(), "alice", "correct horse").await;
    let session = session_cookie(&r).expect("a session cookie");
    assert!(session.starts_with("session="));
}

// --- Input edges -------------------------------------------------------------------------

#[tokio::test]
async fn over_long_codes_are_400_and_count_for_nothing() {
    let app = spawn_app().await;
    let (secret, codes) = app.user_with_two_factor("alice", "correct horse").await;
    let c = app.pending_client("alice", "correct horse").await;
    let long = "1".repeat(65);
    let long_recovery = format!("{}-{}", "a".repeat(40), "b".repeat(40));
    let one_group_too_many = format!("{}-zzzzz", codes[1]);
    for _ in 0..25 {
        assert_eq!(app.submit_code(&c, &long).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.submit_code(&c, "12345678901234567890").await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.submit_recovery_code(&c, &long_recovery).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.submit_recovery_code(&c, &one_group_too_many).await.status(), StatusCode::BAD_REQUEST);
    }
    // Had any counted, the account would be delayed (5 free) or locked (20) by now.
    let (status, body) = json(app.submit_code(&c, &app.code(&secret, 1)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Where a form takes a code or a recovery code, either is taken as typed.
    let typed = format!("  {} ", codes[0].to_uppercase().replace('-', " - "));
    assert_eq!(app.reauthenticate(&c, "correct horse", Some(&typed)).await.status(), StatusCode::OK);
    let (status, _) = json(app.reauthenticate(&c, "correct horse", Some(&long_recovery)).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_client_accepting_html_and_json_gets_json() {
    let app = spawn_app().await;
    let r = client()
        .post(app.url("/api/login"))
        .header(header::ACCEPT, "text/html, application/json")
        .form(&[("username", "nobody"), ("password", "wrong horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.expect("JSON");
    assert!(body["error"].is_string());
}
