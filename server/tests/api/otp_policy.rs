//! Other OTP settings than SHA1/6/30: HOTP with its look-ahead window and resynchronisation,
//! and SHA256 with 8 digits. Codes come from `helpers::hotp_code`, written from the RFCs.

use crate::helpers::{client, fresh_database_url, hotp_code, json, spawn_app_with, test_config, TestApp};
use domain::credentials::otp_params::{Algorithm, OtpKind, OtpParams};
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn app_with_policy(policy: OtpParams) -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.otp_policy = policy;
    (spawn_app_with(config).await, folder)
}

async fn enrol(app: &TestApp, username: &str) -> (Client, Value) {
    let c = client();
    app.register(&c, username, "correct horse").await;
    let setup: Value = app.start_setup(&c).await.json().await.unwrap();
    (c, setup)
}

async fn pending(app: &TestApp, username: &str) -> Client {
    app.pending_client(username, "correct horse").await
}

#[tokio::test]
async fn hotp_enrolment_and_sign_in_move_the_counter_and_resynchronise_past_the_window() {
    let hotp = OtpParams { kind: OtpKind::Hotp, window: 10, ..OtpParams::default() };
    let (app, _folder) = app_with_policy(hotp).await;
    let (c, setup) = enrol(&app, "alice").await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://hotp/") && uri.ends_with("&counter=0"), "{uri}");
    let html = c.get(app.url("/account/2fa/setup")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"otp-parameters-warning\""), "the page warns about app support");

    // The app's first code (counter 0) confirms.
    assert_eq!(app.confirm_setup(&c, &hotp_code(&secret, 0, 6, false)).await.status(), 200);

    // Counter 1 signs in once; a replay is refused.
    let p = pending(&app, "alice").await;
    assert_eq!(app.submit_code(&p, &hotp_code(&secret, 1, 6, false)).await.status(), 200);
    let p = pending(&app, "alice").await;
    assert_eq!(json(app.submit_code(&p, &hotp_code(&secret, 1, 6, false)).await).await.0, StatusCode::UNAUTHORIZED);
    // A code a few presses ahead is within the window, and moves the counter past it.
    assert_eq!(app.submit_code(&p, &hotp_code(&secret, 5, 6, false)).await.status(), 200);
    let p = pending(&app, "alice").await;
    assert_eq!(json(app.submit_code(&p, &hotp_code(&secret, 4, 6, false)).await).await.0, StatusCode::UNAUTHORIZED);

    // Far beyond the window: asked for the next code too (RFC 4226 §7.4), then back in step.
    let (status, body) = json(app.submit_code(&p, &hotp_code(&secret, 40, 6, false)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("next code"), "{body}");
    assert_eq!(app.submit_code(&p, &hotp_code(&secret, 41, 6, false)).await.status(), 200);
    let p = pending(&app, "alice").await;
    assert_eq!(app.submit_code(&p, &hotp_code(&secret, 42, 6, false)).await.status(), 200);
}

#[tokio::test]
async fn a_lone_code_beyond_the_window_is_never_accepted() {
    let hotp = OtpParams { kind: OtpKind::Hotp, window: 10, ..OtpParams::default() };
    let (app, _folder) = app_with_policy(hotp).await;
    let (c, setup) = enrol(&app, "alice").await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.confirm_setup(&c, &hotp_code(&secret, 0, 6, false)).await.status(), 200);
    let p = pending(&app, "alice").await;
    // Two codes beyond the window that do not follow each other do not resynchronise.
    assert_eq!(json(app.submit_code(&p, &hotp_code(&secret, 30, 6, false)).await).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(json(app.submit_code(&p, &hotp_code(&secret, 32, 6, false)).await).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sha256_eight_digit_codes_work_and_existing_enrolments_keep_their_parameters() {
    let policy = OtpParams { algorithm: Algorithm::SHA256, digits: 8, ..OtpParams::default() };
    let (app, _folder) = app_with_policy(policy).await;
    let (c, setup) = enrol(&app, "alice").await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.contains("&algorithm=SHA256&digits=8&period=30"), "{uri}");
    let now_step = app.clock.now() as u64 / 30;
    assert_eq!(
        json(app.confirm_setup(&c, &hotp_code(&secret, now_step, 6, true)).await).await.0,
        StatusCode::BAD_REQUEST,
        "six digits for an 8-digit credential"
    );
    assert_eq!(app.confirm_setup(&c, &hotp_code(&secret, now_step, 8, true)).await.status(), 200);
    let p = pending(&app, "alice").await;
    assert_eq!(app.submit_code(&p, &hotp_code(&secret, now_step + 1, 8, true)).await.status(), 200);
    let html = p.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("8-digit code"), "the page asks for 8 digits");
}
