//! Security keys (WebAuthn) as a second factor, on the server's side: a software key that is
//! not the code under test (`helpers/soft_key.rs`) answers the server's challenges as a browser
//! would. Adding a key, signing in with it, and every way an answer is refused: an expired or
//! reused challenge, another origin, another relying party, an unknown key, a bad signature, a
//! counter that went backwards; each refusal at sign-in counted like a wrong code.

use crate::helpers::{fresh_database_url, session_cookie, soft_key::SoftKey, spawn_app_with, test_config, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;

pub(crate) const PASSWORD: &str = "correct horse battery";
/// The test server's `PUBLIC_URL`: the only origin its keys answer for (a name: browsers take
/// no IP address as a relying party's id).
pub(crate) const ORIGIN: &str = "http://localhost:3000";

async fn spawn_app() -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.public_url = ORIGIN.into();
    (spawn_app_with(config).await, folder)
}

async fn json(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The challenge `options` of a `.../start` answer, parsed.
async fn options(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let (status, body) = json(app.post(client, endpoint, form).await).await;
    assert_eq!(status, StatusCode::OK, "{endpoint}: {body}");
    serde_json::from_str(body["options"].as_str().expect("options")).expect("options are JSON")
}

/// Adds `key` to the signed-in account as `name`; returns the answer.
pub(crate) async fn add_key(app: &TestApp, client: &Client, key: &mut SoftKey, name: &str) -> (StatusCode, Value) {
    let challenge = options(app, client, "security-keys/add/start", &[("name", name)]).await;
    let credential = key.register(&challenge, ORIGIN);
    json(app.post(client, "security-keys/add/finish", &[("credential", &credential)]).await).await
}

/// After the password: the key step with `answer` made by `sign` from the challenge.
pub(crate) async fn key_step(
    app: &TestApp,
    client: &Client,
    sign: impl FnOnce(&Value) -> String,
) -> (StatusCode, Value) {
    let challenge = options(app, client, "login/security-key/start", &[]).await;
    let credential = sign(&challenge);
    json(app.post(client, "login/security-key/finish", &[("credential", &credential)]).await).await
}

async fn failures(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT second_factor_failures FROM users WHERE username = 'alice'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn logged(app: &TestApp) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT kind, key_name FROM security_events ORDER BY id").fetch_all(&app.db).await.unwrap()
}

/// Alice, registered with a key as her only second factor, signed out again; her key.
async fn alice_with_a_key(app: &TestApp) -> SoftKey {
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let mut key = SoftKey::new();
    let (status, added) = add_key(app, &browser, &mut key, "Blue key").await;
    assert_eq!(status, StatusCode::OK, "{added}");
    key
}

#[tokio::test]
async fn the_first_key_turns_two_factor_on_and_signs_in_after_the_password() {
    let (app, _folder) = spawn_app().await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let mut key = SoftKey::new();
    let (status, added) = add_key(&app, &browser, &mut key, "Blue key").await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["name"], "Blue key");
    assert_eq!(added["recovery_codes"].as_array().map(Vec::len), Some(10), "the first factor: recovery codes, once");
    let account = browser.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert_eq!(account.matches("<li><code>").count(), 0, "a script has the codes in its answer, and only there");
    let (_, me) = json(app.me(&browser).await).await;
    assert_eq!(me["two_factor"], true);

    // A second key: no new recovery codes.
    let (status, second) = add_key(&app, &browser, &mut SoftKey::new(), "Spare key").await;
    assert_eq!((status, second["recovery_codes"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    // The same key again is refused (the browser would not even offer it: it is excluded).
    let (status, _) = add_key(&app, &browser, &mut key, "Blue key again").await;
    assert!(status.is_client_error(), "{status}");
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_keys").fetch_one(&app.db).await.unwrap();
    assert_eq!(keys, 2);

    let other = app.new_client();
    let r = app.login(&other, "alice", PASSWORD).await;
    let pending_id = session_cookie(&r).expect("a session");
    assert_eq!(json(r).await.1["second_factor"], true, "a key is a second factor");
    assert_eq!(app.me(&other).await.status(), StatusCode::UNAUTHORIZED, "pending: nothing yet");
    let challenge = options(&app, &other, "login/security-key/start", &[]).await;
    let allowed = challenge["publicKey"]["allowCredentials"].as_array().map(Vec::len);
    assert_eq!(allowed, Some(2), "the account's keys, and only them: {challenge}");
    let credential = key.sign_in(&challenge, ORIGIN);
    let r = app.post(&other, "login/security-key/finish", &[("credential", &credential)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(session_cookie(&r), Some(pending_id), "a new session id");
    assert_eq!(app.me(&other).await.status(), StatusCode::OK, "signed in with the key");
    let events = logged(&app).await;
    for (kind, name) in [
        ("security_key.added", Some("Blue key")),
        ("security_key.added", Some("Spare key")),
        ("sign_in.success.security_key", Some("Blue key")),
    ] {
        assert!(
            events.iter().any(|(k, n)| k == kind && n.as_deref() == name),
            "{kind} {name:?} in the log: {events:?}"
        );
    }
    let last_used: Option<i64> = sqlx::query_scalar("SELECT last_used_at FROM security_keys WHERE name = 'Blue key'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(last_used.is_some(), "when it was last used is kept");
}

#[tokio::test]
async fn a_challenge_is_single_use_and_expires_after_five_minutes() {
    let (app, _folder) = spawn_app().await;
    let mut key = alice_with_a_key(&app).await;
    let browser = app.new_client();
    app.login(&browser, "alice", PASSWORD).await;
    let challenge = options(&app, &browser, "login/security-key/start", &[]).await;
    let answer = key.sign_in(&challenge, ORIGIN);
    let finish = |credential: String| {
        let browser = browser.clone();
        let app = &app;
        async move { app.post(&browser, "login/security-key/finish", &[("credential", &credential)]).await.status() }
    };
    assert_eq!(finish(answer.clone()).await, StatusCode::OK);
    // Signed in; a new password step, and the old answer offered again: refused.
    let again = app.new_client();
    app.login(&again, "alice", PASSWORD).await;
    let replayed = app.post(&again, "login/security-key/finish", &[("credential", &answer)]).await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED, "a used challenge answers nothing");
    assert_eq!(app.me(&again).await.status(), StatusCode::UNAUTHORIZED);

    // A challenge answered after 5 minutes is refused; the account is not signed in.
    let late = app.new_client();
    app.login(&late, "alice", PASSWORD).await;
    let challenge = options(&app, &late, "login/security-key/start", &[]).await;
    app.advance(5 * 60 - 10);
    let answer = key.sign_in(&challenge, ORIGIN);
    // (The password step itself lasts 5 minutes too: a fresh one, the old challenge.)
    app.advance(11);
    let r = app.post(&late, "login/security-key/finish", &[("credential", &answer)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "expired");
    assert_eq!(app.me(&late).await.status(), StatusCode::UNAUTHORIZED);

    // Adding a key: the same rules.
    let owner = app.new_client();
    app.login(&owner, "alice", PASSWORD).await;
    let (status, _) = key_step(&app, &owner, |c| key.sign_in(c, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK);
    let challenge = options(&app, &owner, "security-keys/add/start", &[("name", "Late key")]).await;
    app.advance(5 * 60 + 1);
    let credential = SoftKey::new().register(&challenge, ORIGIN);
    let r = app.post(&owner, "security-keys/add/finish", &[("credential", &credential)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "an expired registration adds nothing");
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_keys").fetch_one(&app.db).await.unwrap();
    assert_eq!(keys, 1);

    // Ceremonies never answered do not pile up: the next one sweeps out the expired.
    let waiting = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webauthn_ceremonies").fetch_one(&app.db).await.unwrap()
    };
    options(&app, &owner, "security-keys/add/start", &[("name", "Never answered")]).await;
    assert_eq!(waiting().await, 1);
    app.advance(5 * 60 + 1);
    let next = app.new_client();
    app.login(&next, "alice", PASSWORD).await;
    options(&app, &next, "login/security-key/start", &[]).await;
    assert_eq!(waiting().await, 1, "only the new one");
}

#[tokio::test]
async fn answers_for_another_origin_or_relying_party_are_refused() {
    let (app, _folder) = spawn_app().await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    for (origin, rp_id) in [("https://phishing.example", None), (ORIGIN, Some("phishing.example"))] {
        let challenge = options(&app, &browser, "security-keys/add/start", &[("name", "Key")]).await;
        let mut key = SoftKey::new();
        let credential = match rp_id {
            Some(rp_id) => key.register_for(&challenge, origin, rp_id),
            None => key.register(&challenge, origin),
        };
        let r = app.post(&browser, "security-keys/add/finish", &[("credential", &credential)]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "origin {origin}, rp id {rp_id:?}");
    }
    let (_, me) = json(app.me(&browser).await).await;
    assert_eq!(me["two_factor"], false, "no key was added");

    let mut key = SoftKey::new();
    assert_eq!(add_key(&app, &browser, &mut key, "Blue key").await.0, StatusCode::OK);
    let other = app.new_client();
    app.login(&other, "alice", PASSWORD).await;
    let (status, _) = key_step(&app, &other, |c| key.sign_in(c, "https://phishing.example")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an answer given to a phishing site does not sign in here");
    assert_eq!(failures(&app).await, 1, "and it counts as a failed second factor");
}

#[tokio::test]
async fn an_unknown_key_a_bad_signature_and_a_counter_going_back_are_refused_and_counted() {
    let (app, _folder) = spawn_app().await;
    let mut key = alice_with_a_key(&app).await;
    let browser = app.new_client();
    app.login(&browser, "alice", PASSWORD).await;

    let mut stranger = SoftKey::new();
    let (status, _) = key_step(&app, &browser, |c| stranger.sign_in(c, ORIGIN)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a key not on the account");

    let (status, _) = key_step(&app, &browser, |c| {
        let mut answer: Value = serde_json::from_str(&key.sign_in(c, ORIGIN)).unwrap();
        // Another key's signature under this key's id.
        let forged: Value = serde_json::from_str(&SoftKey::new().sign_in(c, ORIGIN)).unwrap();
        answer["response"]["signature"] = forged["response"]["signature"].clone();
        answer.to_string()
    })
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a bad signature");
    assert_eq!(failures(&app).await, 2);

    let (status, _) = key_step(&app, &browser, |c| key.sign_in(c, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK, "the right key");
    assert_eq!(failures(&app).await, 0, "a success resets the count");

    // A copy of the key that signed fewer times: its counter goes backwards.
    let other = app.new_client();
    app.login(&other, "alice", PASSWORD).await;
    key.counter = 0;
    let (status, _) = key_step(&app, &other, |c| key.sign_in(c, ORIGIN)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a counter that did not move on");
    assert_eq!(failures(&app).await, 1);
    let rejected = logged(&app).await.iter().filter(|(k, _)| k == "sign_in.failure.security_key").count();
    assert_eq!(rejected, 3, "each refusal is in the security log");
}

#[tokio::test]
async fn removing_the_last_key_needs_the_password_and_a_recovery_code() {
    let (app, _folder) = spawn_app().await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let mut key = SoftKey::new();
    let (_, added) = add_key(&app, &browser, &mut key, "Blue key").await;
    let codes: Vec<String> =
        added["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let key_id: i64 = sqlx::query_scalar("SELECT id FROM security_keys").fetch_one(&app.db).await.unwrap();
    let key_id = key_id.to_string();
    let r = app.post(&browser, "security-keys/remove", &[("key_id", &key_id)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "the last factor: the password and a factor too");
    let r = app
        .post(&browser, "security-keys/remove", &[("key_id", &key_id), ("password", PASSWORD), ("otp", "wrong")])
        .await;
    assert!(r.status().is_client_error());
    let r = app
        .post(&browser, "security-keys/remove", &[("key_id", &key_id), ("password", PASSWORD), ("otp", &codes[0])])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, me) = json(app.me(&browser).await).await;
    assert_eq!(me["two_factor"], false, "the last factor gone: 2FA is off");
    assert!(logged(&app).await.iter().any(|(k, n)| k == "security_key.removed" && n.as_deref() == Some("Blue key")));

    // With two keys, one goes with a recent sign-in alone.
    add_key(&app, &browser, &mut SoftKey::new(), "One").await;
    add_key(&app, &browser, &mut SoftKey::new(), "Two").await;
    let one: i64 =
        sqlx::query_scalar("SELECT id FROM security_keys WHERE name = 'One'").fetch_one(&app.db).await.unwrap();
    let r = app.post(&browser, "security-keys/remove", &[("key_id", &one.to_string())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Not someone else's key, and not after the recent-sign-in window.
    app.advance(11 * 60);
    let two: i64 =
        sqlx::query_scalar("SELECT id FROM security_keys WHERE name = 'Two'").fetch_one(&app.db).await.unwrap();
    let r = app.post(&browser, "security-keys/remove", &[("key_id", &two.to_string())]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a recent sign-in is needed");
}

/// An app that signs in through OpenID Connect learns that the second factor was a hardware key
/// (`amr` `["pwd", "hwk", "mfa"]`, `docs/contract/oidc.md`), and the account's keys count for a client that
/// insists on two factors.
#[tokio::test]
async fn an_apps_id_token_says_a_hardware_key_was_used() {
    use domain::openid::store::clients::{self, ClientPolicy, NewClient};
    let (app, _folder) = spawn_app().await;
    let redirect = "http://app.example.test/callback";
    let client = NewClient {
        client_id: "wiki".into(),
        name: None,
        redirect_uris: vec![redirect.into()],
        post_logout_redirect_uris: Vec::new(),
        public: true,
        policy: ClientPolicy::TwoFactor,
        allowed_groups: vec![],
        allow_insecure_http: true,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    };
    clients::add(&app.db, &client, app.clock.now()).await.unwrap();
    let mut key = alice_with_a_key(&app).await;
    let browser = app.new_client();
    app.login(&browser, "alice", PASSWORD).await;
    let (status, _) = key_step(&app, &browser, |c| key.sign_in(c, ORIGIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(amr_at(&app, &browser, redirect).await, serde_json::json!(["pwd", "hwk", "mfa"]));

    // A session that has just turned 2FA on by adding its first key counts as signed in with it.
    let bob = app.new_client();
    app.register(&bob, "bob", PASSWORD).await;
    let (status, added) = add_key(&app, &bob, &mut SoftKey::new(), "Bob's key").await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(amr_at(&app, &bob, redirect).await, serde_json::json!(["pwd", "hwk", "mfa"]));
}

/// The `amr` of the ID token the client `wiki` gets for `browser`'s session.
async fn amr_at(app: &TestApp, browser: &reqwest::Client, redirect: &str) -> Value {
    // RFC 7636 Appendix B's verifier and challenge.
    let authorize = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope=openid\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
    ));
    let r = browser.get(authorize).send().await.unwrap();
    let location = r.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned();
    let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code at once: two factors, one of them a key");
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "wiki"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    ];
    let (status, tokens) =
        json(reqwest::Client::new().post(app.url("/oidc/token")).form(&form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    crate::openid_connect::jwt_part(tokens["id_token"].as_str().unwrap(), 1)["amr"].clone()
}

/// After the 10-minute window, an account whose only second factor is a key confirms with the
/// password and the key (a wrong password first spends nothing); new recovery codes need no app
/// code it does not have: the recent sign-in with the key is the proof.
#[tokio::test]
async fn the_password_and_a_key_reopen_the_window_for_changes() {
    let (app, _folder) = spawn_app().await;
    let mut key = alice_with_a_key(&app).await;
    let browser = app.new_client();
    app.login(&browser, "alice", PASSWORD).await;
    assert_eq!(key_step(&app, &browser, |c| key.sign_in(c, ORIGIN)).await.0, StatusCode::OK);
    let (status, codes) = json(app.post(&browser, "2fa/recovery-codes", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    assert_eq!(codes["recovery_codes"].as_array().map(Vec::len), Some(10));

    app.advance(11 * 60);
    let r = app.post(&browser, "security-keys/add/start", &[("name", "Spare")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "not recent any more");
    let challenge = options(&app, &browser, "reauthenticate/security-key/start", &[]).await;
    let credential = key.sign_in(&challenge, ORIGIN);
    let wrong = [("password", "not the password"), ("credential", credential.as_str())];
    let r = app.post(&browser, "reauthenticate/security-key/finish", &wrong).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the password comes first");
    let right = [("password", PASSWORD), ("credential", credential.as_str())];
    let r = app.post(&browser, "reauthenticate/security-key/finish", &right).await;
    assert_eq!(r.status(), StatusCode::OK, "the challenge was still there: the wrong password spent nothing");
    let r = app.post(&browser, "security-keys/add/start", &[("name", "Spare")]).await;
    assert_eq!(r.status(), StatusCode::OK, "recent again");
    let r = app.post(&browser, "reauthenticate/security-key/finish", &right).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a spent challenge");
}

/// A challenge belongs to the session that asked for it: the answer to it, sent from another
/// session of the same account (one past its password step too), opens nothing.
#[tokio::test]
async fn a_challenge_answers_only_for_the_session_that_asked() {
    let (app, _folder) = spawn_app().await;
    let mut key = alice_with_a_key(&app).await;
    let asking = app.new_client();
    app.login(&asking, "alice", PASSWORD).await;
    let challenge = options(&app, &asking, "login/security-key/start", &[]).await;
    let answer = key.sign_in(&challenge, ORIGIN);
    let other = app.new_client();
    app.login(&other, "alice", PASSWORD).await;
    let r = app.post(&other, "login/security-key/finish", &[("credential", &answer)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&other).await.status(), StatusCode::UNAUTHORIZED);
    let r = app.post(&asking, "login/security-key/finish", &[("credential", &answer)]).await;
    assert_eq!(r.status(), StatusCode::OK, "the session that asked still can");
}

/// The account's keys, oldest first, by id.
async fn key_ids(app: &TestApp) -> Vec<String> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM security_keys ORDER BY id").fetch_all(&app.db).await.unwrap();
    ids.into_iter().map(|id| id.to_string()).collect()
}

async fn epoch(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT session_epoch FROM users WHERE username = 'alice'").fetch_one(&app.db).await.unwrap()
}

/// Two removals at once of an account's last two keys (no app), from one session: whichever
/// comes second finds the other key gone, and takes the last factor only the way turning 2FA off
/// does (the password and a recovery code: 2FA off, the epoch raised, logged) or not at all. In
/// every tenth round one of the two carries the password and a recovery code.
#[tokio::test]
async fn two_removals_at_once_never_take_the_last_two_factors_without_the_password_and_a_code() {
    let (app, _folder) = spawn_app().await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let mut codes: Vec<String> = Vec::new();
    for round in 0..100 {
        while key_ids(&app).await.len() < 2 {
            let (status, added) = add_key(&app, &browser, &mut SoftKey::new(), "Key").await;
            assert_eq!(status, StatusCode::OK, "{added}");
            if let Some(new) = added["recovery_codes"].as_array().filter(|set| !set.is_empty()) {
                codes = new.iter().map(|c| c.as_str().unwrap().to_owned()).collect();
            }
        }
        let ids = key_ids(&app).await;
        let (epoch_before, disabled_before) = (epoch(&app).await, disabled(&app).await);
        let with_proof = round % 10 == 9;
        let code = if with_proof { codes.pop().unwrap() } else { String::new() };
        let mut second = vec![("key_id", ids[1].as_str())];
        if with_proof {
            second.extend([("password", PASSWORD), ("otp", code.as_str())]);
        }
        let (a, b) = tokio::join!(
            app.post_with(browser.clone(), "security-keys/remove", vec![("key_id", ids[0].as_str())]),
            app.post_with(browser.clone(), "security-keys/remove", second),
        );
        let (a, b) = (json(a).await, json(b).await);
        let keys_left = key_ids(&app).await.len();
        if keys_left == 0 {
            assert!(with_proof, "round {round}: the last factor went without the password and a code: {a:?} {b:?}");
            assert_eq!(b.0, StatusCode::OK, "round {round}: {b:?}");
            assert!(epoch(&app).await > epoch_before, "round {round}: 2FA off ends the other sessions");
            assert_eq!(disabled(&app).await, disabled_before + 1, "round {round}: 2FA off is logged");
            let (_, me) = json(app.me(&browser).await).await;
            assert_eq!(me["two_factor"], false);
        } else {
            assert_eq!(keys_left, 1, "round {round}: one of the two went: {a:?} {b:?}");
            assert_eq!(disabled(&app).await, disabled_before, "round {round}");
            let refused = if a.0 == StatusCode::OK { &b } else { &a };
            assert_eq!(refused.0, StatusCode::BAD_REQUEST, "round {round}: {a:?} {b:?}");
            assert!(refused.1.to_string().contains("password"), "round {round}: says what it takes: {refused:?}");
        }
    }
}

async fn disabled(app: &TestApp) -> usize {
    logged(app).await.iter().filter(|(kind, _)| kind == "two_factor.disabled").count()
}

/// A key's answer is checked against the counter kept when its challenge was made. A copy of the
/// key that answers such a challenge after the key itself was used (the same count again) is
/// refused, and counted like a wrong code.
#[tokio::test]
async fn a_copy_answering_with_a_count_already_used_since_its_challenge_is_refused() {
    let (app, _folder) = spawn_app().await;
    let mut key = alice_with_a_key(&app).await;
    let (genuine, copy) = (app.new_client(), app.new_client());
    app.login(&genuine, "alice", PASSWORD).await;
    app.login(&copy, "alice", PASSWORD).await;
    let genuine_challenge = options(&app, &genuine, "login/security-key/start", &[]).await;
    let copy_challenge = options(&app, &copy, "login/security-key/start", &[]).await;

    let answer = key.sign_in(&genuine_challenge, ORIGIN);
    let r = app.post(&genuine, "login/security-key/finish", &[("credential", &answer)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    key.counter -= 1;
    let answer = key.sign_in(&copy_challenge, ORIGIN);
    let r = app.post(&copy, "login/security-key/finish", &[("credential", &answer)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the count the key itself has just used");
    assert_eq!(app.me(&copy).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(failures(&app).await, 1);
}

/// A use writes the key's new counter only over the credential it read: a second use that read
/// the same stored counter finds it changed and is not recorded (its sign-in is refused).
#[tokio::test]
async fn a_use_is_recorded_only_over_the_counter_it_was_checked_against() {
    use domain::storage::security_keys::{list, record_use};
    let (app, _folder) = spawn_app().await;
    alice_with_a_key(&app).await;
    let account: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'").fetch_one(&app.db).await.unwrap();
    let first = list(&app.db, account).await.unwrap().pop().unwrap();
    let second = list(&app.db, account).await.unwrap().pop().unwrap();
    let credential = with_counter(&first.credential, 7);
    assert!(record_use(&app.db, &first, &credential, app.clock.now()).await.unwrap(), "the first use is recorded");
    assert!(
        !record_use(&app.db, &second, &credential, app.clock.now()).await.unwrap(),
        "the second read the counter before the first use: not recorded"
    );
}

/// `key` (a stored credential) with its signature counter set to `counter`.
fn with_counter<K: serde::Serialize + serde::de::DeserializeOwned>(key: &K, counter: u32) -> K {
    let mut form = serde_json::to_value(key).unwrap();
    form["cred"]["counter"] = counter.into();
    serde_json::from_value(form).unwrap()
}
