//! Requests per second through Caddy in front of the same upstream (the bare axum app), with and
//! without the forward-auth gate: what putting the gate in front of an app costs, in the figure
//! users ask for. Reported, not budgeted (Caddy's own speed is not ours to hold).

use crate::{
    load::{self, Work},
    process::Process,
    row::Row,
    scenarios,
};
use anyhow::{bail, Context};
use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

/// Caddy with two sites on two ports: the upstream as is, and the upstream behind the gate.
pub struct Caddy {
    child: Child,
    pub plain: SocketAddr,
    pub gated: SocketAddr,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

impl Caddy {
    /// `None` when Caddy is not installed (`.ci/install-tools` installs it).
    pub fn start(server: SocketAddr, upstream: SocketAddr, dir: &Path) -> anyhow::Result<Option<Caddy>> {
        let Some(caddy) = ["/usr/bin/caddy", "/usr/local/bin/caddy"].into_iter().find(|p| Path::new(p).exists()) else {
            return Ok(None);
        };
        let (plain, gated) = (free_addr()?, free_addr()?);
        // The gated site is the README's Caddy configuration for an app.
        let caddyfile = format!(
            "{{\n\tadmin off\n\tauto_https off\n}}\n\n\
             http://{plain} {{\n\treverse_proxy {upstream}\n}}\n\n\
             http://{gated} {{\n\tforward_auth {server} {{\n\t\turi /api/authz/forward-auth\n\
             \t\tcopy_headers Remote-User Remote-Groups Remote-Name Remote-Email\n\t}}\n\
             \treverse_proxy {upstream}\n}}\n"
        );
        let folder = dir.join("caddy");
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join("Caddyfile"), caddyfile)?;
        let child = Command::new(caddy)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(folder.join("Caddyfile"))
            .env("XDG_CONFIG_HOME", &folder)
            .env("XDG_DATA_HOME", &folder)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting caddy")?;
        let mut caddy = Caddy { child, plain, gated };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(gated).is_err() || TcpStream::connect(plain).is_err() {
            if let Some(status) = caddy.child.try_wait()? {
                bail!("caddy exited during start-up ({status})");
            }
            if Instant::now() > deadline {
                bail!("caddy did not listen within 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Some(caddy))
    }
}

/// The two rows: Caddy alone, then Caddy with the gate (as a share of Caddy alone), each over
/// `rounds` alternating slices.
pub fn measure(
    runtime: &tokio::runtime::Runtime,
    caddy: &Caddy,
    server: &Process,
    connections: usize,
    rounds: u32,
    slice: Duration,
    sessions: Arc<Vec<String>>,
) -> Vec<Row> {
    let alone: Work = scenarios::get(caddy.plain, "/", Arc::default());
    let gated: Work = scenarios::get(caddy.gated, "/", sessions);
    let (mut plain_stats, mut gated_stats) = (load::Stats::default(), load::Stats::default());
    server.reset_peak();
    for _ in 0..rounds {
        plain_stats.add_slice(runtime.block_on(load::drive(caddy.plain, connections, slice, alone.clone())));
        gated_stats.add_slice(runtime.block_on(load::drive(caddy.gated, connections, slice, gated.clone())));
    }
    let plain = Row::measured(
        "GET / through Caddy, no gate (the bare axum app behind it)",
        connections,
        plain_stats,
        0.0,
        None,
    );
    let rate = plain.per_second;
    let gated = Row::measured(
        "GET / through Caddy with forward auth (signed in)",
        connections,
        gated_stats,
        server.peak_rss_mib(),
        Some(("Caddy without the gate", rate)),
    );
    vec![plain, gated]
}
