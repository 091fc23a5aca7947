use crate::helpers::{client, json, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn setup_offers_a_160_bit_key_an_otpauth_uri_and_a_qr_code() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let r = app.start_setup(&c).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["otpauth_uri", "qr_svg", "secret"]);
    let secret = body["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert!(secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{secret}");
    let key = otp_oracle::key(secret).unwrap();
    assert_eq!(key.len(), 20);
    let uri = body["otpauth_uri"].as_str().unwrap();
    let issuer = uri.split("issuer=").nth(1).unwrap().split('&').next().unwrap();
    assert_eq!(
        uri,
        format!("otpauth://totp/{issuer}:alice?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30")
    );
    assert!(body["qr_svg"].as_str().unwrap().starts_with("<svg"));
    // Each call is a fresh key.
    let again: Value = app.start_setup(&c).await.json().await.unwrap();
    assert_ne!(again["secret"], body["secret"]);
}

#[tokio::test]
async fn setup_needs_a_signed_in_session() {
    let app = spawn_app().await;
    let (status, body) = json(app.start_setup(&client()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].is_string());
    let (status, _) = json(app.confirm_setup(&client(), "123456").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_factor_stays_off_until_a_code_confirms_it() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let setup: Value = app.start_setup(&c).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap();
    let me: Value = app.me(&c).await.json().await.unwrap();
    assert_eq!(me["two_factor"], false);
    let wrong = format!("{:06}", (app.code(secret, 0).parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(json(app.confirm_setup(&c, &wrong).await).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(json(app.confirm_setup(&c, "12345").await).await.0, StatusCode::BAD_REQUEST);
    let me: Value = app.me(&c).await.json().await.unwrap();
    assert_eq!(me["two_factor"], false);
    // Signing in still takes the password alone.
    let r: Value = app
        .post(&client(), "login", &[("username", "alice"), ("password", "correct horse")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["second_factor"], false);
}

#[tokio::test]
async fn confirming_returns_ten_recovery_codes_and_turns_two_factor_on() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let setup: Value = app.start_setup(&c).await.json().await.unwrap();
    let r = app.confirm_setup(&c, &app.code(setup["secret"].as_str().unwrap(), 0)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);
    let codes = body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let me: Value = app.me(&c).await.json().await.unwrap();
    assert_eq!(me["two_factor"], true);
    // Already on: setup and confirm are conflicts now.
    assert_eq!(json(app.start_setup(&c).await).await.0, StatusCode::CONFLICT);
    assert_eq!(json(app.confirm_setup(&c, "123456").await).await.0, StatusCode::CONFLICT);
}

#[tokio::test]
async fn confirm_without_a_setup_in_progress_is_a_conflict() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let (status, body) = json(app.confirm_setup(&c, "123456").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("setup"), "{body}");
}

#[tokio::test]
async fn a_secret_sent_by_the_client_is_ignored() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    // An attacker's own key, sent along with setup and confirm (the tutorial's hidden field).
    let attacker = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let setup: Value = app.post(&c, "2fa/setup", &[("secret", attacker)]).await.json().await.unwrap();
    assert_ne!(setup["secret"], attacker);
    let (status, _) =
        json(app.post(&c, "2fa/confirm", &[("otp", &app.code(attacker, 0)), ("secret", attacker)]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a code of the client's key does not confirm");
    let server_key = setup["secret"].as_str().unwrap();
    let (status, _) =
        json(app.post(&c, "2fa/confirm", &[("otp", &app.code(server_key, 0)), ("secret", attacker)]).await).await;
    assert_eq!(status, StatusCode::OK, "the server's own key is what counts");
}

#[tokio::test]
async fn the_stored_recovery_codes_are_hashes_only() {
    let app = spawn_app().await;
    let (_, codes) = app.user_with_two_factor("alice", "correct horse").await;
    let file = crate::helpers::stored_bytes(&app).await;
    for code in codes {
        for form in [code.clone(), code.replace('-', "")] {
            assert!(!file.windows(form.len()).any(|w| w == form.as_bytes()), "{form} found in the database");
        }
    }
}
