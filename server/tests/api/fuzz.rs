//! A few hundred malformed requests to every endpoint; none may get a 5xx, and the
//! server stays healthy.

use crate::helpers::{client, spawn_app};
use reqwest::header;

const ENDPOINTS: [&str; 16] = [
    "register",
    "login",
    "login/2fa",
    "login/recovery",
    "logout",
    "logout/others",
    "me",
    "2fa/setup",
    "2fa/confirm",
    "2fa/disable",
    "2fa/recovery-codes",
    "reauthenticate",
    "ui/visitor",
    "ui/account",
    "ui/setup",
    "ui/code-digits",
];

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let form = "application/x-www-form-urlencoded";
    let mut bodies: Vec<(&'static str, Vec<u8>)> = vec![
        (form, b"".to_vec()),
        (form, b"username=&password=".to_vec()),
        (form, b"username=a&username=b&password=c&password=d".to_vec()),
        (form, b"otp=1&otp=2".to_vec()),
        (form, b"otp=%00%00%00%00%00%00".to_vec()),
        (form, b"username=a%00b&password=%ff%fe%fd%fc%fb%fa%f9%f8".to_vec()),
        (form, vec![0xff, 0xfe, 0xfd, b'=', 0x80, 0x81]),
        (form, b"%%%%&&&&====".to_vec()),
        (form, b"username[]=a&password[x]=b".to_vec()),
        (form, b"otp=123456&secret=JBSWY3DPEHPK3PXP".to_vec()),
        (form, format!("otp={}", "9".repeat(5000)).into_bytes()),
        (form, format!("recovery_code={}", "-".repeat(5000)).into_bytes()),
        (form, format!("username={}&password=x", "%41".repeat(20000)).into_bytes()),
        (form, vec![b'a'; 100 * 1024]),
        ("application/json", br#"{"username":"alice","password":"correct horse"}"#.to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("text/plain", b"hello".to_vec()),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"otp\"\r\n\r\n123456\r\n--x--".to_vec(),
        ),
        ("application/octet-stream", (0..=255u8).collect()),
        ("", b"username=a&password=b".to_vec()),
    ];
    for n in [1usize, 7, 63, 255] {
        bodies.push((form, std::iter::repeat_n(b"a=b&", n).flatten().copied().collect()));
    }
    bodies
}

#[tokio::test]
async fn hundreds_of_malformed_requests_get_no_5xx() {
    let app = spawn_app().await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    let mut sent = 0;
    for endpoint in ENDPOINTS {
        for (content_type, body) in bodies() {
            // (Signed-in requests to logout would end the session this test checks at the end.)
            for signed_in in [false, !endpoint.starts_with("logout")] {
                let who = if signed_in { &c } else { &client() };
                let mut request = who.post(app.url(&format!("/api/{endpoint}"))).body(body.clone());
                if !content_type.is_empty() {
                    request = request.header(header::CONTENT_TYPE, content_type);
                }
                let r = request.send().await.expect("an answer, not a dropped connection");
                let status = r.status();
                let answer = r.text().await.unwrap_or_default();
                assert!(
                    !status.is_server_error(),
                    "{endpoint} {content_type} {:?}: {status} {answer}",
                    String::from_utf8_lossy(&body[..body.len().min(60)])
                );
                sent += 1;
            }
        }
        for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::DELETE] {
            let r = c.request(method.clone(), app.url(&format!("/api/{endpoint}"))).send().await.unwrap();
            assert!(r.status().is_client_error(), "{method} {endpoint}: {}", r.status());
            sent += 1;
        }
    }
    assert!(sent > 400, "{sent} requests");
    assert_eq!(client().get(app.url("/healthz")).send().await.unwrap().status(), 200);
    // The signed-in session survived the storm.
    assert_eq!(app.me(&c).await.status(), 200);
}
