//! Cross-site refusal, body limits, the security headers and malformed requests (SECURITY.md,
//! "Requests and pages").

use crate::helpers::{client, json, spawn_app};
use reqwest::{header, StatusCode};

/// A request from another site is refused and changes nothing.
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

/// Bodies over 64 KiB get 413.
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

/// Nosniff, no framing, a referrer policy on every response.
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

/// SECURITY.md quotes the headers the server sends, word for word: the pages' and the other
/// answers' Content-Security-Policy, the three headers on every response, and the session
/// cookie's attributes. A change to either side without the other fails here.
#[tokio::test]
async fn security_md_quotes_the_headers_the_server_sends() {
    let security = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../SECURITY.md"))
        .expect("SECURITY.md beside the workspace");
    let app = spawn_app().await;
    let page = client().get(app.url("/login")).send().await.unwrap();
    let policy = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let (before, after) = policy.split_once("'nonce-").expect("a nonce in the page's policy");
    let quoted = format!("{before}'nonce-…'{}", after.split_once('\'').map(|(_, rest)| rest).unwrap_or_default());
    assert!(security.contains(&format!("`{quoted}`")), "SECURITY.md does not quote the pages' policy: {quoted}");
    let other = client().get(app.url("/healthz")).send().await.unwrap();
    let policy = other.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(security.contains(&format!("`Content-Security-Policy: {policy}`")), "other answers' policy: {policy}");
    for name in ["x-content-type-options", "x-frame-options", "referrer-policy"] {
        let value = other.headers()[name].to_str().unwrap();
        let canonical = match name {
            "x-content-type-options" => "X-Content-Type-Options",
            "x-frame-options" => "X-Frame-Options",
            _ => "Referrer-Policy",
        };
        assert!(security.contains(&format!("`{canonical}: {value}`")), "{canonical}: {value}");
    }
    let registered = app.try_register(&client(), "alice", "correct horse").await;
    let cookie = registered.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in cookie.split(';').skip(1).map(str::trim) {
        let name = attribute.split('=').next().unwrap_or_default();
        if name.eq_ignore_ascii_case("expires") {
            continue; // Its value is a date; `Max-Age` says the same and is quoted.
        }
        assert!(security.contains(&format!("`{name}")), "SECURITY.md does not name the cookie's {attribute}");
        assert!(!security.contains(&format!("no `{name}`")), "SECURITY.md says the cookie has no {name}");
    }
}
