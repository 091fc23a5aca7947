//! The processes under test (the release server, the bare axum ceiling) and their memory, read
//! from `/proc`.

use anyhow::{bail, Context};
use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct Process {
    child: Child,
    pub addr: SocketAddr,
}

pub struct ServerSetup {
    pub binary: PathBuf,
    pub site_root: PathBuf,
    pub data_dir: PathBuf,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Process {
    /// Starts the release server on the SQLite database in `data_dir` (created when missing) and
    /// returns once `/healthz` answers 200, with the time that took from `spawn`.
    pub fn start_server(setup: &ServerSetup) -> anyhow::Result<(Self, Duration)> {
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::File::create(setup.data_dir.join("server.log"))?;
        // The gate's rules: a password is enough for the apps behind it (the forward-auth scenario
        // checks the seeded users, most of them without 2FA).
        let rules = setup.data_dir.join("access-rules.toml");
        // `api.example.test` takes app passwords (the app-password scenario).
        std::fs::write(
            &rules,
            "default_policy = \"one_factor\"\n\n[[rules]]\ndomain = \"api.example.test\"\npolicy = \"one_factor\"\napp_passwords = true\n",
        )?;
        let started = Instant::now();
        let child = Command::new(&setup.binary)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("LEPTOS_SITE_ROOT", &setup.site_root)
            .env("DATABASE_URL", format!("sqlite://{}", setup.data_dir.join("app.db").display()))
            .env("RUST_LOG", "warn")
            // The seeding registers every user from this one address.
            .env("REGISTRATION_LIMIT", "1000000")
            // A rules file closes registration by default; the seeding registers through the API.
            .env("ACCESS_RULES_FILE", &rules)
            .env("REGISTRATION", "open")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", setup.binary.display()))?;
        let mut process = Self { child, addr };
        let deadline = started + Duration::from_secs(20);
        loop {
            if healthz_ok(addr) {
                return Ok((process, started.elapsed()));
            }
            if let Some(status) = process.child.try_wait()? {
                bail!("the server exited ({status}); its log is {}", setup.data_dir.join("server.log").display());
            }
            if Instant::now() > deadline {
                process.stop();
                bail!("the server did not answer /healthz within 20 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Starts the bare axum ceiling (it prints its port on its first line).
    pub fn start_bare_axum(binary: &Path, args: &[&str]) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let port: u16 = line.trim().parse().context("bare-axum printed no port")?;
        Ok(Self { child, addr: ([127, 0, 0, 1], port).into() })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        status_kib(self.pid(), "VmRSS:") as f64 / 1024.0
    }

    /// The most resident memory since the last `reset_peak`, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        status_kib(self.pid(), "VmHWM:") as f64 / 1024.0
    }

    /// Starts a new peak-RSS measurement (`clear_refs` 5 resets VmHWM to the current RSS).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// SIGTERM (graceful shutdown), then waits.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A new connection per probe, as a load balancer's health check makes it.
fn healthz_ok(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}
