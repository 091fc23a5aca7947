//! Cross-site refusal, body limits and malformed requests (API.md, request rules; SECURITY.md
//! properties 4, 5 and 7 of the attack-resistance issue).

use crate::helpers::{client, json, spawn_app};
use reqwest::{header, StatusCode};

/// Property 4: a request from another site is refused and changes nothing.
#[tokio::test]
async fn a_cross_site_post_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    for (name, value) in [
        ("origin", "http://evil.example".to_string()),
        ("origin", "null".to_string()),
        ("sec-fetch-site", "cross-site".to_string()),
    ] {
        let r = client()
            .post(app.url("/api/register"))
            .header(name, value.clone())
            .form(&[("username", "victim"), ("password", "correct horse")])
            .send()
            .await
            .unwrap();
        let (status, body) = json(r).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(body["error"].is_string());
    }
    // Nothing was registered.
    let r = app.login(&client(), "victim", "correct horse").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_same_origin_post_is_served() {
    let app = spawn_app().await;
    let r = client()
        .post(app.url("/api/register"))
        .header("origin", &app.address)
        .header("sec-fetch-site", "same-origin")
        .form(&[("username", "alice"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Property 7: bodies over 64 KiB get 413.
#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let app = spawn_app().await;
    let big = format!("username=alice&password={}", "x".repeat(70 * 1024));
    let r = client()
        .post(app.url("/api/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = json(r).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn malformed_requests_are_4xx_with_a_json_error() {
    let app = spawn_app().await;
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", br#"{"username":"a","password":"b"}"#.to_vec()),
        ("application/x-www-form-urlencoded", vec![0xff, 0xfe, b'=', 0x80]),
        ("application/x-www-form-urlencoded", b"username=a\0b&password=%00%00%00%00%00%00%00%00".to_vec()),
        ("application/x-www-form-urlencoded", b"username=a&username=b&password=c".to_vec()),
        ("text/plain", b"hello".to_vec()),
        ("application/x-www-form-urlencoded", b"%%%&&&===".to_vec()),
    ];
    for endpoint in ["register", "login", "login/2fa", "login/recovery", "2fa/confirm"] {
        for (content_type, body) in &bodies {
            let r = client()
                .post(app.url(&format!("/api/{endpoint}")))
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let (status, json) = json(r).await;
            assert!(status.is_client_error(), "{endpoint} {content_type} {body:?}: {status}");
            assert!(json["error"].is_string(), "{endpoint}: {json}");
        }
    }
    let r = client().get(app.url("/api/login")).send().await.unwrap();
    assert!(r.status().is_client_error());
    // The gate's endpoints take GET and HEAD; a 405 says which.
    let (status, answer) = json(app.post(&client(), "authz/forward-auth", &[]).await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer["error"], "This endpoint only accepts GET and HEAD.");
    let r = client().get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()[reqwest::header::ALLOW].to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "POST")
    );
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "This endpoint only accepts POST.");
    let (status, _) = json(app.post(&client(), "no-such-endpoint", &[]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(client().get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
}

/// Property 5: nosniff, no framing, a referrer policy on every response.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/healthz"] {
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(r.headers().contains_key("referrer-policy"), "{path}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
    }
}

/// `/api/me` is a plain axum handler, not a server function: it must still answer like the
/// others (JSON errors, the security headers, cross-site refusal, JSON for an unknown method).
#[tokio::test]
async fn api_me_answers_like_every_other_endpoint() {
    let app = spawn_app().await;
    let r = client().post(app.url("/api/me")).send().await.unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let (status, body) = json(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "{body}");

    let c = client();
    assert_eq!(app.try_register(&c, "alice", "correct horse").await.status(), StatusCode::OK);
    let cross_site = c.post(app.url("/api/me")).header("origin", "http://evil.example").send().await.unwrap();
    let (status, body) = json(cross_site).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].is_string());

    let (status, body) = json(c.get(app.url("/api/me")).send().await.unwrap()).await;
    assert!(status.is_client_error(), "{status}");
    assert!(body["error"].is_string(), "{body}");
}
