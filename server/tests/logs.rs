//! What the server writes to its log: with `LOG_FORMAT=json`, one JSON object per line, each
//! request's lines carrying the id sent back as `X-Request-Id`, and the security events with the
//! account; and, whatever the journey, never a password, a key, a code, a recovery code, a
//! session id or a token.

// A test binary of its own: the logs are captured through a subscriber for the whole process,
// which the other suites should not pay for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers/mod.rs"]
#[allow(dead_code, unused_imports)]
mod helpers;

use helpers::{fresh_database_url, session_cookie, spawn_app_with, test_config};
use reqwest::StatusCode;
use server::{infra::telemetry, startup::config::LogFormat};
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::{fmt::MakeWriter, EnvFilter};

const PASSWORD: &str = "a long secret passphrase";

/// Every line any server of this test process logs from the first use on, at debug level for
/// every library (more than an operator would ever turn on) — but the test's own HTTP client's
/// (`reqwest`, `cookie_store`), which logs the cookies it is given.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        telemetry::init_to(LogFormat::Json, EnvFilter::new("debug,reqwest=off,cookie_store=off"), captured.clone());
        captured
    })
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_the_security_events_and_never_a_secret() {
    let log = captured();
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.log_format = LogFormat::Json;
    let app = spawn_app_with(config).await;

    // Every secret a journey handles.
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned()];
    let (key, recovery_codes) = app.user_with_two_factor("logbob", PASSWORD).await;
    secrets.push(key.clone());
    secrets.extend(recovery_codes.iter().cloned());
    let browser = app.new_client();
    let password_step = app.login(&browser, "logbob", PASSWORD).await;
    assert_eq!(password_step.status(), StatusCode::OK);
    secrets.extend(session_cookie(&password_step).map(|c| c.trim_start_matches("session=").to_owned()));
    app.advance(60);
    let code = app.code(&key, 0);
    secrets.push(code.clone());
    let signed_in = app.submit_code(&browser, &code).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let request_id = signed_in.headers().get("x-request-id").expect("X-Request-Id").to_str().unwrap().to_owned();
    secrets.extend(session_cookie(&signed_in).map(|c| c.trim_start_matches("session=").to_owned()));
    let wrong = app.login(&app.new_client(), "logbob", "not the passphrase at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    secrets.push("not the passphrase at all".into());
    let other = app.pending_client("logbob", PASSWORD).await;
    assert_eq!(app.submit_recovery_code(&other, &recovery_codes[0]).await.status(), StatusCode::OK);

    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    for line in text.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not one JSON object: {line}");
    }
    let sign_in_events: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["target"] == "security" && line["event"] == "sign_in.success.totp")
        .collect();
    assert!(
        sign_in_events.iter().any(|event| event["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|span| span["request_id"] == request_id.as_str()))
            && event["user_id"].is_number()),
        "no security event of the code sign-in carries its request id {request_id}: {sign_in_events:?}"
    );
    for secret in secrets.iter().filter(|s| s.len() >= 6) {
        let holding: Vec<&str> = text.lines().filter(|line| line.contains(secret.as_str())).collect();
        assert!(
            holding.is_empty(),
            "the log holds a secret ({} characters) in: {}",
            secret.len(),
            where_it_is(&holding, secret)
        );
    }
}

/// The lines holding a secret, with the secret itself masked (the test's output is a log too).
fn where_it_is(lines: &[&str], secret: &str) -> String {
    lines.iter().map(|line| line.replace(secret, "<SECRET>")).collect::<Vec<_>>().join("\n")
}
