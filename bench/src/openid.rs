//! The OpenID Connect scenarios: "userinfo (valid token)" against the bare-axum ceiling, and
//! "code exchange" (the token request that turns a code into tokens) against the ceiling of raw
//! RS256 signatures on the same cores, since each exchange signs one ID token. The codes are made
//! before each timed slice, by authorization requests with a signed-in session.

use crate::load::{work, Call, Conn, Outcome, Work};
use anyhow::{bail, Context};
use domain::openid::signing_key::rs256;
use openssl::{pkey::PKey, rsa::Rsa};
use std::{
    net::SocketAddr,
    path::Path,
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const CLIENT_ID: &str = "bench";
const REDIRECT: &str = "http://bench.test/cb";
/// RFC 7636 Appendix B's verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const AUTHORIZE: &str = "/oidc/authorize?response_type=code&client_id=bench&redirect_uri=http%3A%2F%2Fbench.test%2Fcb\
    &scope=openid%20profile&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

/// Registers the benchmark's client with the operator's command, as an operator would.
pub fn register_client(server: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let output = Command::new(server)
        .args(["oidc", "client", "add", CLIENT_ID, "--public", "--policy", "one_factor", "--redirect-uri", REDIRECT])
        // The benchmark's app is not on a loopback address (`bench.test`), and never reached.
        .arg("--allow-insecure-http")
        .env("DATABASE_URL", format!("sqlite://{}", data_dir.join("app.db").display()))
        .env("RUST_LOG", "warn")
        .output()
        .context("running server oidc client add")?;
    if !output.status.success() {
        bail!("server oidc client add failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// The authorization request with the session's cookie: a code at once (the client asks one
/// factor).
async fn authorize(conn: &mut Conn, host: &str, session: &str) -> Result<String, Outcome> {
    let authorized = conn.send(Call::get(AUTHORIZE).cookie(session).build(host)).await.map_err(Outcome::Failed)?;
    let location = authorized.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let code = location
        .split_once("code=")
        .and_then(|(_, rest)| rest.split('&').next())
        .ok_or(Outcome::Wrong(authorized.status.as_u16()))?;
    Ok(code.to_owned())
}

/// The token request for `code`. Returns the token answer's body.
async fn redeem(conn: &mut Conn, host: &str, code: &str) -> Result<bytes::Bytes, Outcome> {
    let form = format!(
        "grant_type=authorization_code&client_id={CLIENT_ID}&code={code}&redirect_uri=http%3A%2F%2Fbench.test%2Fcb&code_verifier={VERIFIER}"
    );
    let token = conn.send(Call::api("/oidc/token", form).build(host)).await.map_err(Outcome::Failed)?;
    if token.status != 200 {
        return Err(Outcome::Wrong(token.status.as_u16()));
    }
    Ok(token.body)
}

/// An access token per session, through the code flow.
pub async fn access_tokens(addr: SocketAddr, sessions: &[String]) -> anyhow::Result<Vec<String>> {
    let host = addr.to_string();
    let mut conn = Conn::new(addr);
    let mut tokens = Vec::new();
    for session in sessions {
        let failed = |_| anyhow::anyhow!("a code exchange failed");
        let code = authorize(&mut conn, &host, session).await.map_err(failed)?;
        let body = redeem(&mut conn, &host, &code).await.map_err(failed)?;
        let answer: serde_json::Value = serde_json::from_slice(&body)?;
        tokens.push(answer["access_token"].as_str().context("no access_token")?.to_owned());
    }
    Ok(tokens)
}

/// `GET /oidc/userinfo` with one of `tokens` per connection.
pub fn userinfo(addr: SocketAddr, tokens: Arc<Vec<String>>) -> Work {
    let host = Arc::new(addr.to_string());
    let headers: Arc<Vec<String>> = Arc::new(tokens.iter().map(|t| format!("Bearer {t}")).collect());
    work(move |worker, mut conn| {
        let (host, headers) = (host.clone(), headers.clone());
        async move {
            let call = Call::get("/oidc/userinfo").header("authorization", &headers[worker % headers.len()]);
            match conn.send(call.build(&host)).await {
                Ok(reply) if reply.status == 200 => (conn, Outcome::Answered(200)),
                Ok(reply) => (conn, Outcome::Wrong(reply.status.as_u16())),
                Err(failure) => (conn, Outcome::Failed(failure)),
            }
        }
    })
}

/// `count` fresh codes, made by authorization requests on up to `connections` connections, one
/// session per connection.
pub async fn make_codes(
    addr: SocketAddr,
    connections: usize,
    sessions: Arc<Vec<String>>,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let host = Arc::new(addr.to_string());
    let connections = connections.clamp(1, count.max(1));
    let makers: Vec<_> = (0..connections)
        .map(|worker| {
            let (host, sessions) = (host.clone(), sessions.clone());
            tokio::spawn(async move {
                let mut conn = Conn::new(addr);
                let mut codes = Vec::new();
                for _ in (worker..count).step_by(connections) {
                    match authorize(&mut conn, &host, &sessions[worker % sessions.len()]).await {
                        Ok(code) => codes.push(code),
                        Err(_) => return None,
                    }
                }
                Some(codes)
            })
        })
        .collect();
    let mut codes = Vec::with_capacity(count);
    for maker in makers {
        codes.extend(maker.await?.context("an authorization request failed")?);
    }
    Ok(codes)
}

/// Token requests, each redeeming one of `codes` (the client is done when none is left).
pub fn code_exchange(addr: SocketAddr, codes: Arc<Mutex<Vec<String>>>) -> Work {
    let host = Arc::new(addr.to_string());
    work(move |_, mut conn| {
        let (host, codes) = (host.clone(), codes.clone());
        async move {
            let Some(code) = codes.lock().ok().and_then(|mut codes| codes.pop()) else {
                return (conn, Outcome::Exhausted);
            };
            match redeem(&mut conn, &host, &code).await {
                Ok(_) => (conn, Outcome::Answered(200)),
                Err(outcome) => (conn, outcome),
            }
        }
    })
}

/// `POST /sign` on the bare axum app, with the token request's form as the body: one RS256
/// signature per request behind nothing but HTTP.
pub fn bare_signing(addr: SocketAddr) -> Work {
    let host = Arc::new(addr.to_string());
    work(move |_, mut conn| {
        let host = host.clone();
        async move {
            let form = format!(
                "grant_type=authorization_code&client_id={CLIENT_ID}&code=c&redirect_uri=http%3A%2F%2Fbench.test%2Fcb&code_verifier={VERIFIER}"
            );
            match conn.send(Call::api("/sign", form).build(&host)).await {
                Ok(reply) if reply.status == 200 => (conn, Outcome::Answered(200)),
                Ok(reply) => (conn, Outcome::Wrong(reply.status.as_u16())),
                Err(failure) => (conn, Outcome::Failed(failure)),
            }
        }
    })
}

/// The ceiling: RS256 signatures (RSA 2048, PKCS#1 v1.5, SHA-256) of an ID-token-sized message,
/// per second, one thread per core, each with a key of its own (so that no thread waits on
/// another's), by the function the server signs with.
pub fn rs256_signatures_per_second(duration: Duration) -> anyhow::Result<f64> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let keys = (0..threads).map(|_| Rsa::generate(2048).and_then(PKey::from_rsa)).collect::<Result<Vec<_>, _>>()?;
    let message = [b'x'; 400];
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = keys
            .iter()
            .map(|key| {
                scope.spawn(move || {
                    let mut count = 0;
                    while start.elapsed() < duration {
                        if rs256(key, &message).is_err() {
                            break;
                        }
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    Ok(counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64())
}
