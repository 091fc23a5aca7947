//! Authorization codes are sealed, not stored (`openid::codes`); the database decides their
//! single use when they are exchanged. These tests hold the properties that design must keep:
//! one success among concurrent exchanges of a code, a replay that revokes and stays refused, a
//! forged code refused, and codes that die with the sign-in, the client registration or the
//! account they were issued for.

use crate::{
    helpers::{fresh_database_url, spawn_app_with, test_config, TEST_KEY},
    openid_connect::{alice_with_spa, code_for_spa, exchange, register, rp_http, PASSWORD},
};
use domain::{
    credentials::secret_box::SecretBox,
    openid::{
        codes::{self, Code},
        store::{
            clients::{self, ClientPolicy},
            grants,
        },
    },
};
use reqwest::StatusCode;

fn error(answer: &(StatusCode, serde_json::Value)) -> (StatusCode, Option<&str>) {
    (answer.0, answer.1["error"].as_str())
}

const INVALID_GRANT: (StatusCode, Option<&str>) = (StatusCode::BAD_REQUEST, Some("invalid_grant"));

/// Sixteen token requests with one code at the same moment (on SQLite they reach the exchange
/// writer together and go into one statement): exactly one gets tokens, the others are refused,
/// and since the code was replayed, what the winner got is revoked. A later replay is refused too
/// (the code's use outlives the revocation), and the account's next code still works.
#[tokio::test]
async fn concurrent_exchanges_of_one_code_give_one_success_and_the_replay_revokes_it() {
    let (app, _folder, browser) = alice_with_spa().await;
    let code = code_for_spa(&app, &browser).await;
    let answers = futures::future::join_all((0..16).map(|_| exchange(&app, &code))).await;
    let winners: Vec<_> = answers.iter().filter(|(status, _)| *status == StatusCode::OK).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for refused in answers.iter().filter(|(status, _)| *status != StatusCode::OK) {
        assert_eq!(error(refused), INVALID_GRANT, "{refused:?}");
    }
    let access = winners[0].1["access_token"].as_str().unwrap().to_owned();
    let userinfo = rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED, "a replayed code's tokens are revoked");
    assert_eq!(error(&exchange(&app, &code).await), INVALID_GRANT, "and the code stays spent");

    let next = exchange(&app, &code_for_spa(&app, &browser).await).await;
    assert_eq!(next.0, StatusCode::OK, "{next:?}");
}

/// A code is sealed: changing one character, or making one up, gives nothing.
#[tokio::test]
async fn a_forged_or_altered_code_is_refused() {
    let (app, _folder, browser) = alice_with_spa().await;
    let code = code_for_spa(&app, &browser).await;
    let middle = code.len() / 2;
    let changed = if &code[middle..=middle] == "A" { "B" } else { "A" };
    let altered = format!("{}{changed}{}", &code[..middle], &code[middle + 1..]);
    for forged in [altered, "0".repeat(64), "x".repeat(10_000)] {
        assert_eq!(error(&exchange(&app, &forged).await), INVALID_GRANT, "{forged:.20}");
    }
    assert_eq!(exchange(&app, &code).await.0, StatusCode::OK, "the real code still works");
}

/// A code not yet exchanged dies with the sign-in it came from: after "end every other session"
/// from another sign-in, after the operator's `user reset-2fa`, and when the account is deleted.
#[tokio::test]
async fn an_unused_code_dies_with_the_sign_in_and_the_account_it_came_from() {
    let (app, _folder, browser) = alice_with_spa().await;

    let unused = code_for_spa(&app, &browser).await;
    let other = app.new_client();
    app.login(&other, "alice", PASSWORD).await;
    assert_eq!(app.end_other_sessions(&other).await.status(), StatusCode::OK);
    assert_eq!(error(&exchange(&app, &unused).await), INVALID_GRANT, "its sessions ended");

    let unused = code_for_spa(&app, &other).await;
    app.operator(&["user", "reset-2fa", "alice"]);
    assert_eq!(error(&exchange(&app, &unused).await), INVALID_GRANT, "reset by the operator");

    let browser = app.new_client();
    app.login(&browser, "alice", PASSWORD).await;
    let unused = code_for_spa(&app, &browser).await;
    app.operator(&["user", "delete", "alice"]);
    let newcomer = app.new_client();
    app.register(&newcomer, "mallory", PASSWORD).await;
    assert_eq!(error(&exchange(&app, &unused).await), INVALID_GRANT, "the account is gone");
    let mine = exchange(&app, &code_for_spa(&app, &newcomer).await).await;
    assert_eq!(mine.0, StatusCode::OK, "the newcomer's own code works: {mine:?}");
}

/// A client deleted and registered again under the same id is another registration: a code
/// issued to the first is refused to the second.
#[tokio::test]
async fn a_code_is_refused_to_a_client_registered_again_under_its_id() {
    let (app, _folder, browser) = alice_with_spa().await;
    let unused = code_for_spa(&app, &browser).await;
    assert!(clients::delete(&app.db, &Default::default(), "spa").await.unwrap());
    app.advance(5);
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    assert_eq!(error(&exchange(&app, &unused).await), INVALID_GRANT);
    assert_eq!(exchange(&app, &code_for_spa(&app, &browser).await).await.0, StatusCode::OK);
}

/// Expired tokens are swept (the server does it every five minutes): the access token and the
/// record of its code's use go once the hour is up, a refresh token stays its 30 days.
#[tokio::test]
async fn expired_tokens_are_swept_and_live_ones_stay() {
    let (app, _folder, browser) = alice_with_spa().await;
    let tokens = offline_tokens(&app, &browser).await;
    assert!(tokens["refresh_token"].is_string());
    let kinds = || async {
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM oidc_tokens ORDER BY kind").fetch_all(&app.db).await.unwrap();
        kinds
    };
    assert_eq!(kinds().await, ["access", "refresh"]);
    assert_eq!(grants::delete_expired(&app.db, app.clock.now()).await.unwrap(), 0, "nothing is due yet");
    app.advance(3601);
    assert_eq!(grants::delete_expired(&app.db, app.clock.now()).await.unwrap(), 1);
    assert_eq!(kinds().await, ["refresh"]);
}

/// Codes are sealed with a key of their own, kept in the database (sealed with the TOTP key):
/// the TOTP encryption key alone cannot forge one, nor can a server on another database with the
/// same TOTP key; the server's next start (or another instance) opens them.
#[tokio::test]
async fn codes_are_sealed_with_a_key_the_database_keeps_not_with_the_totp_key() {
    use base64::Engine;
    // Two servers with one TOTP key and a database each.
    let with_test_key = || async {
        let folder = tempfile::tempdir().unwrap();
        let mut config = test_config(fresh_database_url(folder.path()).await);
        config.totp_key = Some(server::infra::encryption_key::KeySource::Value(TEST_KEY.into()));
        (spawn_app_with(config).await, folder)
    };
    let (app, _folder) = with_test_key().await;
    let (other, _other_folder) = with_test_key().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let code = code_for_spa(&app, &browser).await;

    let totp_key: [u8; 32] =
        base64::engine::general_purpose::STANDARD.decode(crate::helpers::TEST_KEY).unwrap().try_into().unwrap();
    let totp_box = SecretBox::new(&totp_key);
    assert!(Code::open(&totp_box, &code).is_none(), "not sealed with the TOTP key");
    let same_database = codes::sealing_box(&app.db, &totp_box).await.unwrap();
    let opened = Code::open(&same_database, &code).expect("the database's key opens it, at any start");
    assert_eq!(opened.grant.client_id, "spa");
    let other_database = codes::sealing_box(&other.db, &totp_box).await.unwrap();
    assert!(Code::open(&other_database, &code).is_none(), "another database's key does not");
}

/// `spa`'s tokens for a code with `offline_access`: an access token and a refresh token.
async fn offline_tokens(app: &crate::helpers::TestApp, browser: &reqwest::Client) -> serde_json::Value {
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid%20offline_access&code_challenge={}&code_challenge_method=S256",
        form_urlencoded::byte_serialize(crate::openid_connect::REDIRECT.as_bytes()).collect::<String>(),
        crate::openid_connect::CHALLENGE,
    ));
    let location = browser.get(url).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let (status, tokens) = exchange(app, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

async fn refresh(app: &crate::helpers::TestApp, refresh_token: &str) -> (StatusCode, serde_json::Value) {
    let form = [("grant_type", "refresh_token"), ("client_id", "spa"), ("refresh_token", refresh_token)];
    let r = rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn userinfo_status(app: &crate::helpers::TestApp, access_token: &str) -> StatusCode {
    rp_http().get(app.url("/oidc/userinfo")).bearer_auth(access_token).send().await.unwrap().status()
}

/// What `answers` issued (access and refresh tokens) opens nothing: userinfo refuses every access
/// token and every refresh token is `invalid_grant`.
async fn assert_all_revoked(app: &crate::helpers::TestApp, answers: &[(StatusCode, serde_json::Value)], why: &str) {
    for (_, issued) in answers.iter().filter(|(status, _)| *status == StatusCode::OK) {
        let access = issued["access_token"].as_str().unwrap();
        assert_eq!(userinfo_status(app, access).await, StatusCode::UNAUTHORIZED, "{why}: {issued}");
        let refreshed = refresh(app, issued["refresh_token"].as_str().unwrap()).await;
        assert_eq!(error(&refreshed), INVALID_GRANT, "{why}: {refreshed:?}");
    }
}

/// Sixteen refreshes with one refresh token at the same moment: one rotates it, the others find
/// it used (a reuse, RFC 9700) and revoke the family. Nothing any of them was given stays valid,
/// whichever finished first: the rotation's new tokens are stored with the use of the old one,
/// in one transaction, so a revocation cannot fall between them. Several rounds, to meet the
/// interleavings.
#[tokio::test]
async fn concurrent_uses_of_one_refresh_token_leave_nothing_valid() {
    let (app, _folder, browser) = alice_with_spa().await;
    for round in 0..8 {
        let tokens = offline_tokens(&app, &browser).await;
        let old = tokens["refresh_token"].as_str().unwrap().to_owned();
        let answers = futures::future::join_all((0..16).map(|_| refresh(&app, &old))).await;
        let rotated = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
        assert!(rotated <= 1, "round {round}: one use at most: {answers:?}");
        for refused in answers.iter().filter(|(status, _)| *status != StatusCode::OK) {
            assert_eq!(error(refused), INVALID_GRANT, "round {round}: {refused:?}");
        }
        assert_all_revoked(&app, &answers, &format!("round {round}")).await;
        let first = tokens["access_token"].as_str().unwrap();
        assert_eq!(userinfo_status(&app, first).await, StatusCode::UNAUTHORIZED, "round {round}: the family");
    }
}

/// "End every other session" at the moment refreshes are under way: whatever a refresh gave, the
/// revocation takes it too (a rotation is stored whole before or after the revocation, never
/// across it).
#[tokio::test]
async fn a_revocation_during_refreshes_leaves_nothing_valid() {
    let (app, _folder, browser) = alice_with_spa().await;
    let other = app.new_client();
    app.login(&other, "alice", PASSWORD).await;
    for round in 0..8 {
        if round > 0 {
            app.login(&browser, "alice", PASSWORD).await; // the last round ended this session
        }
        let mut refresh_tokens = Vec::new();
        for _ in 0..8 {
            let tokens = offline_tokens(&app, &browser).await;
            refresh_tokens.push(tokens["refresh_token"].as_str().unwrap().to_owned());
        }
        let refreshes = futures::future::join_all(refresh_tokens.iter().map(|token| refresh(&app, token)));
        let (answers, ended) = tokio::join!(refreshes, app.end_other_sessions(&other));
        assert_eq!(ended.status(), StatusCode::OK);
        assert_all_revoked(&app, &answers, &format!("round {round}")).await;
    }
}

/// A code exchanged while a revocation of the account is under way (its epoch raised, its tokens
/// revoked, not yet committed: what turning 2FA off or an operator reset does in one
/// transaction) waits for it and is then refused, since its sign-in has ended. Without that
/// wait, PostgreSQL let the exchange read the account from before the revocation and store a
/// token the revocation never saw. On SQLite the revocation holds the one write lock.
#[tokio::test]
async fn a_code_exchanged_during_a_revocation_waits_for_it_and_is_refused() {
    let (app, _folder, browser) = alice_with_spa().await;
    let code = code_for_spa(&app, &browser).await;

    let mut revocation = app.db.begin().await.unwrap();
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE username_key = 'alice'")
        .execute(&mut *revocation)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'alice'")
        .fetch_one(&mut *revocation)
        .await
        .unwrap();
    for statement in grants::REVOKE_ACCOUNT {
        sqlx::query(statement).bind(id).execute(&mut *revocation).await.unwrap();
    }
    let commit_later = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        revocation.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(exchange(&app, &code), commit_later);
    assert_eq!(error(&answer), INVALID_GRANT, "{answer:?}");
}

/// A token request from a client the refresh token was not issued to is refused before the token
/// is touched: the token then still works for its own client (it was not used up, and its family
/// was not revoked).
#[tokio::test]
async fn a_refresh_token_presented_by_another_client_is_refused_and_keeps_working_for_its_own() {
    let (app, _folder, browser) = alice_with_spa().await;
    let secret = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    let tokens = offline_tokens(&app, &browser).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let by_wiki = [
        ("grant_type", "refresh_token"),
        ("client_id", "wiki"),
        ("client_secret", secret.as_str()),
        ("refresh_token", refresh_token),
    ];
    for _ in 0..2 {
        let r = rp_http().post(app.url("/oidc/token")).form(&by_wiki).send().await.unwrap();
        let answer = (r.status(), r.json::<serde_json::Value>().await.unwrap());
        assert_eq!(error(&answer), INVALID_GRANT, "{answer:?}");
    }
    let (status, body) = refresh(&app, refresh_token).await;
    assert_eq!(status, StatusCode::OK, "still good for spa: {body}");
    assert_eq!(userinfo_status(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::OK);
    // Once used, another client presenting it again revokes nothing either.
    let r = rp_http().post(app.url("/oidc/token")).form(&by_wiki).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let next = body["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&app, next).await.0, StatusCode::OK, "the family lives on");
}

/// The same for a code: another client's exchange is refused, and the code is still its own
/// client's to exchange, once.
#[tokio::test]
async fn a_code_presented_by_another_client_is_refused_and_stays_usable_by_its_own() {
    let (app, _folder, browser) = alice_with_spa().await;
    let secret = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    let code = code_for_spa(&app, &browser).await;
    let by_wiki = [
        ("grant_type", "authorization_code"),
        ("client_id", "wiki"),
        ("client_secret", secret.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", crate::openid_connect::REDIRECT),
        ("code_verifier", crate::openid_connect::VERIFIER),
    ];
    let r = rp_http().post(app.url("/oidc/token")).form(&by_wiki).send().await.unwrap();
    let answer = (r.status(), r.json::<serde_json::Value>().await.unwrap());
    assert_eq!(error(&answer), INVALID_GRANT, "{answer:?}");
    let (status, tokens) = exchange(&app, &code).await;
    assert_eq!(status, StatusCode::OK, "still good for spa: {tokens}");
    assert_eq!(userinfo_status(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::OK);
    assert_eq!(error(&exchange(&app, &code).await), INVALID_GRANT, "and single use");
}
