//! The units of work each scenario repeats. Each checks the answer the way a client would.

use crate::{
    load::{work, Call, Conn, Outcome, Work},
    seed::User,
    totp,
};
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

fn expect_200(conn: Conn, result: Result<crate::load::Reply, crate::load::Failure>) -> (Conn, Outcome) {
    match result {
        Ok(reply) if reply.status == 200 => (conn, Outcome::Answered(200)),
        Ok(reply) => (conn, Outcome::Wrong(reply.status.as_u16())),
        Err(failure) => (conn, Outcome::Failed(failure)),
    }
}

/// `GET path`, optionally with one of `sessions` (one per connection, round robin).
pub fn get(addr: SocketAddr, path: &'static str, sessions: Arc<Vec<String>>) -> Work {
    let host = Arc::new(addr.to_string());
    work(move |worker, mut conn| {
        let (host, sessions) = (host.clone(), sessions.clone());
        async move {
            let mut call = Call::get(path);
            if !sessions.is_empty() {
                call = call.cookie(&sessions[worker % sessions.len()]);
            }
            let result = conn.send(call.build(&host)).await;
            expect_200(conn, result)
        }
    })
}

/// A reverse proxy asking the forward-auth gate about a signed-in user's request to an app
/// (`GET /api/authz/forward-auth`, as Traefik and Caddy ask it).
pub fn forward_auth(addr: SocketAddr, sessions: Arc<Vec<String>>) -> Work {
    let host = Arc::new(addr.to_string());
    work(move |worker, mut conn| {
        let (host, sessions) = (host.clone(), sessions.clone());
        async move {
            let session = &sessions[worker % sessions.len()];
            let call = Call::get("/api/authz/forward-auth")
                .cookie(session)
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-host", "app.example.test")
                .header("x-forwarded-uri", "/dashboard?tab=1")
                .header("x-forwarded-method", "GET")
                .header("accept", "*/*");
            let result = conn.send(call.build(&host)).await;
            expect_200(conn, result)
        }
    })
}

/// One app password for each of `sessions` (their sign-ins are recent: made by the seeding),
/// through `POST /api/app-passwords/create`.
pub async fn app_passwords(addr: SocketAddr, sessions: &[String]) -> anyhow::Result<Vec<String>> {
    let host = addr.to_string();
    let mut conn = Conn::new(addr);
    let mut secrets = Vec::new();
    for session in sessions {
        let call = Call::api("/api/app-passwords/create", "name=bench&days=&hosts=").cookie(session);
        let reply =
            conn.send(call.build(&host)).await.map_err(|e| anyhow::anyhow!("creating an app password: {e:?}"))?;
        anyhow::ensure!(reply.status == 200, "creating an app password: {}", reply.status);
        let answer: serde_json::Value = serde_json::from_slice(&reply.body)?;
        let secret = answer["app_password"].as_str().ok_or_else(|| anyhow::anyhow!("no app_password"))?;
        secrets.push(format!("Bearer {secret}"));
    }
    Ok(secrets)
}

/// A reverse proxy asking the gate about a script's request carrying an app password (`Bearer`)
/// to an app whose rule takes them (`api.example.test`, `bench/src/process.rs`): the keyed hash,
/// the throttle read and the app password's row, on every request.
pub fn forward_auth_app_password(addr: SocketAddr, authorizations: Arc<Vec<String>>) -> Work {
    let host = Arc::new(addr.to_string());
    work(move |worker, mut conn| {
        let (host, authorizations) = (host.clone(), authorizations.clone());
        async move {
            let call = Call::get("/api/authz/forward-auth")
                .header("authorization", &authorizations[worker % authorizations.len()])
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-host", "api.example.test")
                .header("x-forwarded-uri", "/v1/items?page=1")
                .header("x-forwarded-method", "GET")
                .header("accept", "*/*");
            let result = conn.send(call.build(&host)).await;
            expect_200(conn, result)
        }
    })
}

/// `POST /api/me` as a signed-in user: the session is looked up on every request.
pub fn api_me(addr: SocketAddr, sessions: Arc<Vec<String>>) -> Work {
    let host = Arc::new(addr.to_string());
    work(move |worker, mut conn| {
        let (host, sessions) = (host.clone(), sessions.clone());
        async move {
            let session = &sessions[worker % sessions.len()];
            let result = conn.send(Call::api("/api/me", "").cookie(session).build(&host)).await;
            expect_200(conn, result)
        }
    })
}

/// A full sign-in: the password, then a fresh code, for a user nobody has used in this scenario
/// yet (each code is accepted once). Stops when every user has signed in.
pub fn full_sign_in(addr: SocketAddr, users: Arc<Vec<User>>) -> Work {
    let host = Arc::new(addr.to_string());
    let next = Arc::new(AtomicUsize::new(0));
    work(move |_, mut conn| {
        let (host, users, next) = (host.clone(), users.clone(), next.clone());
        async move {
            let Some(user) = users.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return (conn, Outcome::Exhausted);
            };
            let form = format!("username={}&password={}", user.username, user.password);
            let password_step = match conn.send(Call::api("/api/login", form).build(&host)).await {
                Ok(reply) if reply.status == 200 => reply,
                Ok(reply) => return (conn, Outcome::Wrong(reply.status.as_u16())),
                Err(failure) => return (conn, Outcome::Failed(failure)),
            };
            let Some(pending) = password_step.cookie("session") else {
                return (conn, Outcome::Wrong(password_step.status.as_u16()));
            };
            // The code of this time-step, or of the next one if enrollment already used this one
            // (the server accepts one step either side).
            let step = totp::current_step().max(user.confirmed_step + 1);
            let Ok(code) = totp::code(user.secret.as_deref().unwrap_or_default(), step) else {
                return (conn, Outcome::Wrong(0));
            };
            let result =
                conn.send(Call::api("/api/login/2fa", format!("otp={code}")).cookie(&pending).build(&host)).await;
            expect_200(conn, result)
        }
    })
}

/// Wrong passwords for many users as fast as the connections allow. Every request must be
/// answered: 401, 429, or 503 with `Retry-After` (busy); anything else counts as an error.
pub fn wrong_password_flood(addr: SocketAddr, usernames: Arc<Vec<String>>) -> Work {
    let host = Arc::new(addr.to_string());
    let sent = Arc::new(AtomicUsize::new(0));
    work(move |_, mut conn| {
        let (host, usernames, sent) = (host.clone(), usernames.clone(), sent.clone());
        async move {
            let n = sent.fetch_add(1, Ordering::Relaxed);
            let username = &usernames[n % usernames.len()];
            let form = format!("username={username}&password=not-the-password-{n}");
            match conn.send(Call::api("/api/login", form).build(&host)).await {
                Ok(reply) => {
                    let status = reply.status.as_u16();
                    let retry_after = reply.headers.contains_key("retry-after");
                    match status {
                        200 | 401 => (conn, Outcome::Answered(status)),
                        429 | 503 if retry_after => (conn, Outcome::Answered(status)),
                        _ => (conn, Outcome::Wrong(status)),
                    }
                }
                Err(failure) => (conn, Outcome::Failed(failure)),
            }
        }
    })
}
