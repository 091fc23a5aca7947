//! Seeds users through the server's own API, as people would: register (which signs in), and for
//! the two-factor users, `/api/2fa/setup` then `/api/2fa/confirm` with a code computed here.

use crate::{
    load::{Call, Conn},
    totp,
};
use anyhow::{bail, Context};
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

pub struct User {
    pub username: String,
    pub password: String,
    /// The setup key, for users with two-factor authentication.
    pub secret: Option<String>,
    /// The time-step whose code confirmed the setup: the server accepts each step once.
    pub confirmed_step: u64,
    /// The session the registration signed in.
    pub session: String,
}

pub fn password_of(index: usize) -> String {
    format!("bench-password-{index:06}")
}

async fn seed_one(conn: &mut Conn, host: &str, index: usize, two_factor: bool) -> anyhow::Result<User> {
    let username = format!("bench{index:06}");
    let password = password_of(index);
    let registered = conn
        .send(Call::api("/api/register", format!("username={username}&password={password}")).build(host))
        .await
        .map_err(|f| anyhow::anyhow!("register: {f:?}"))?;
    if registered.status != 200 {
        bail!("register {username}: {} {}", registered.status, String::from_utf8_lossy(&registered.body));
    }
    let session = registered.cookie("session").context("registration set no session cookie")?;
    let mut user = User { username, password, secret: None, confirmed_step: 0, session };
    if two_factor {
        let setup = conn
            .send(Call::api("/api/2fa/setup", "").cookie(&user.session).build(host))
            .await
            .map_err(|f| anyhow::anyhow!("2fa/setup: {f:?}"))?;
        if setup.status != 200 {
            bail!("2fa/setup: {}", setup.status);
        }
        let body: serde_json::Value = serde_json::from_slice(&setup.body)?;
        let secret = body["secret"].as_str().context("no secret")?.to_owned();
        let step = totp::current_step();
        let confirm = conn
            .send(
                Call::api("/api/2fa/confirm", format!("otp={}", totp::code(&secret, step)?))
                    .cookie(&user.session)
                    .build(host),
            )
            .await
            .map_err(|f| anyhow::anyhow!("2fa/confirm: {f:?}"))?;
        if confirm.status != 200 {
            bail!("2fa/confirm: {} {}", confirm.status, String::from_utf8_lossy(&confirm.body));
        }
        if let Some(renewed) = confirm.cookie("session") {
            user.session = renewed;
        }
        user.secret = Some(secret);
        user.confirmed_step = step;
    }
    Ok(user)
}

/// Seeds `count` users on `connections` connections; user `i` gets 2FA when `two_factor(i)`.
pub async fn seed(
    addr: SocketAddr,
    count: usize,
    connections: usize,
    two_factor: impl Fn(usize) -> bool + Send + Sync + 'static,
) -> anyhow::Result<Vec<User>> {
    let next = Arc::new(AtomicUsize::new(0));
    let two_factor = Arc::new(two_factor);
    let host = addr.to_string();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (next, two_factor, host) = (next.clone(), two_factor.clone(), host.clone());
            tokio::spawn(async move {
                let mut conn = Conn::new(addr);
                let mut users = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        return Ok::<_, anyhow::Error>(users);
                    }
                    users.push((index, seed_one(&mut conn, &host, index, two_factor(index)).await?));
                    if (index + 1) % 200 == 0 {
                        eprintln!("  seeded {} of {count} users", index + 1);
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort_by_key(|(index, _)| *index);
    Ok(all.into_iter().map(|(_, user)| user).collect())
}
