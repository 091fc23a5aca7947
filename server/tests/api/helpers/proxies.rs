//! Real reverse proxies in front of the real server: Debian's nginx (`auth_request`) and Caddy
//! (`forward_auth`), started on a free port with the configuration the README gives, in front
//! of an upstream app that echoes what it receives.
//!
//! One proxy port serves both sites, told apart by host name as in a real deployment: the
//! portal (`auth.example.test`) and a protected app (`app.example.test`, and `outside.test`,
//! a host outside the cookie domain). The test client resolves these names to 127.0.0.1.

use super::{fresh_database_url, spawn_app_with, test_config, TestApp};
use axum::{extract::Request, routing::any, Json, Router};
use domain::access_rules::AccessRules;
use reqwest::Client;
use std::{
    collections::BTreeMap,
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

#[derive(Clone, Copy, Debug)]
pub enum ProxyKind {
    Nginx,
    Caddy,
}

pub const PORTAL_HOST: &str = "auth.example.test";
pub const APP_HOST: &str = "app.example.test";
/// A host the proxy serves as the app, outside `COOKIE_DOMAIN`: the gate refuses it (400).
pub const OUTSIDE_HOST: &str = "outside.test";

/// The rules behind the proxy, by path on the one app.
const RULES: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "app.example.test"
resources = ["^/public/"]
policy = "bypass"

[[rules]]
domain = "app.example.test"
resources = ["^/closed/"]
policy = "deny"

[[rules]]
domain = "app.example.test"
resources = ["^/wiki/"]
policy = "one_factor"
"#;

/// The server behind a real proxy. `app.address` is the portal as browsers reach it, through
/// the proxy (the session cookie is for the whole `example.test` domain), and its clients find
/// the proxy's host names, so the usual journeys run through the proxy.
pub struct Proxied {
    pub app: TestApp,
    pub upstream: Upstream,
    port: u16,
    process: Child,
    _folder: tempfile::TempDir,
}

impl Drop for Proxied {
    /// A polite stop (SIGTERM): nginx's master then stops its workers, which a SIGKILL would
    /// leave running (holding the test's output open).
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.process.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A site the proxy serves in front of an app of its own, with the README's app configuration.
#[derive(Clone)]
pub struct Site {
    /// The host names of the site (the first is its name).
    pub hosts: Vec<String>,
    /// The app behind it (`host:port`).
    pub upstream: String,
}

impl Proxied {
    /// Starts the server (gate settings and the rules above), the echoing upstream and `kind`.
    pub async fn start(kind: ProxyKind) -> Proxied {
        let upstream = Upstream::start().await;
        let site = Site { hosts: vec![APP_HOST.into(), OUTSIDE_HOST.into()], upstream: upstream.address.clone() };
        Proxied::start_with(kind, RULES, vec![site], upstream).await
    }

    /// Starts the server with `rules`, and `kind` in front of it and of each of `sites`.
    /// `upstream` is the echoing app kept for `hits()` (it may serve none of the sites).
    pub async fn start_with(kind: ProxyKind, rules: &str, sites: Vec<Site>, upstream: Upstream) -> Proxied {
        let folder = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut config = test_config(fresh_database_url(folder.path()).await);
        config.settings.access_rules = Arc::new(AccessRules::parse(rules).expect("the test rules parse"));
        config.settings.cookie_domain = Some("example.test".into());
        config.settings.public_url = format!("http://{PORTAL_HOST}:{port}");
        config.settings.trusted_proxies = vec!["127.0.0.1/32".parse().expect("a network")];
        let mut app = spawn_app_with(config).await;
        let portal = app.address.trim_start_matches("http://").to_owned();
        let process = match kind {
            ProxyKind::Nginx => start_nginx(folder.path(), port, &portal, &sites),
            ProxyKind::Caddy => start_caddy(folder.path(), port, &portal, &sites),
        };
        app.address = format!("http://{PORTAL_HOST}:{port}");
        let proxy = SocketAddr::from(([127, 0, 0, 1], port));
        let names = std::iter::once(PORTAL_HOST.to_owned()).chain(sites.iter().flat_map(|s| s.hosts.clone()));
        app.resolve = names.map(|host| (host, proxy)).collect();
        let mut proxied = Proxied { app, upstream, port, process, _folder: folder };
        proxied.wait_until_listening(kind);
        proxied
    }

    /// The proxy's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A browser-like client (cookies kept, redirects not followed) that finds the proxy's host
    /// names at 127.0.0.1.
    pub fn client(&self) -> Client {
        self.app.new_client()
    }

    /// A URL of the protected app, through the proxy.
    pub fn app_url(&self, path_and_query: &str) -> String {
        format!("http://{APP_HOST}:{}{path_and_query}", self.port)
    }

    pub fn outside_url(&self, path: &str) -> String {
        format!("http://{OUTSIDE_HOST}:{}{path}", self.port)
    }

    /// Where the gate sends a browser for `target`.
    pub fn portal_login_for(&self, target: &str) -> String {
        format!("{}/login?rd={}", self.app.address, percent_encode(target))
    }

    fn wait_until_listening(&mut self, kind: ProxyKind) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.process.try_wait() {
                panic!("{kind:?} exited during start-up ({status}); see its output above");
            }
            assert!(Instant::now() < deadline, "{kind:?} did not listen on port {} within 20 s", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The upstream app: answers every request with what it received (method, path and query, each
/// header with all its values), and counts the requests that reached it.
pub struct Upstream {
    pub address: String,
    hits: Arc<AtomicUsize>,
}

/// What the upstream received.
#[derive(serde::Deserialize, Debug)]
pub struct Echo {
    pub method: String,
    pub uri: String,
    pub headers: BTreeMap<String, Vec<String>>,
}

impl Echo {
    /// Every value the upstream received under `name` (lower case).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.headers.get(name).cloned().unwrap_or_default()
    }
}

impl Upstream {
    pub async fn start() -> Upstream {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let echo = Router::new().fallback(any(move |request: Request| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for (name, value) in request.headers() {
                    headers
                        .entry(name.as_str().to_owned())
                        .or_default()
                        .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
                }
                Json(serde_json::json!({
                    "method": request.method().as_str(),
                    "uri": request.uri().to_string(),
                    "headers": headers,
                }))
            }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the upstream");
        let address = listener.local_addr().expect("address").to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, echo).await;
        });
        Upstream { address, hits }
    }

    /// How many requests reached the app so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A port free now (the proxy binds it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// The fenced block after `<!-- tested: NAME -->` in the README.
pub fn readme_block(name: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
        .expect("README.md beside the workspace");
    let marker = format!("<!-- tested: {name} -->");
    let after = &readme[readme.find(&marker).unwrap_or_else(|| panic!("README has no {marker}"))..];
    let body = after.split_once("```").and_then(|(_, rest)| rest.split_once('\n')).map(|(_, rest)| rest);
    let body = body.and_then(|rest| rest.split_once("\n```")).map(|(block, _)| block);
    body.unwrap_or_else(|| panic!("no fenced block after {marker}")).to_owned()
}

/// The README's nginx file split into what comes before the app's `server` block (the portal)
/// and that block, which is instantiated once per site.
fn nginx_blocks(portal: &str) -> (String, String) {
    let file = readme_block("nginx").replace("127.0.0.1:3000", portal);
    let marker = "# An app behind the gate.";
    let at = file.find(marker).unwrap_or_else(|| panic!("the README's nginx block has no {marker:?}"));
    (file[..at].to_owned(), file[at..].to_owned())
}

fn start_nginx(folder: &Path, port: u16, portal: &str, sites: &[Site]) -> Child {
    let (head, app_block) = nginx_blocks(portal);
    let mut site = head.replace("server_name auth.example.com;", &format!("server_name {PORTAL_HOST};"));
    for each in sites {
        site.push_str(
            &app_block
                .replace("127.0.0.1:8080", &each.upstream)
                .replace("server_name app.example.com;", &format!("server_name {};", each.hosts.join(" "))),
        );
        site.push('\n');
    }
    let site = site.replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    assert!(!site.contains("example.com"), "every README host was replaced:\n{site}");
    let dir = folder.join("nginx");
    run_nginx(&dir, &site)
}

/// Debian's nginx with `site` inside what Debian's /etc/nginx/nginx.conf gives a file of
/// conf.d (an `http` block), its files in `dir`.
pub fn run_nginx(dir: &Path, site: &str) -> Child {
    std::fs::create_dir_all(dir.join("tmp")).expect("nginx folder");
    let d = dir.display();
    let main = format!(
        "pid {d}/nginx.pid;\nerror_log stderr;\nworker_processes 1;\nevents {{}}\nhttp {{\n\
         access_log off;\nclient_body_temp_path {d}/tmp;\nproxy_temp_path {d}/tmp;\n\
         fastcgi_temp_path {d}/tmp;\nuwsgi_temp_path {d}/tmp;\nscgi_temp_path {d}/tmp;\n{site}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).expect("nginx.conf");
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| Path::new(p).exists());
    let nginx = nginx.expect("nginx is not installed: run ./.ci/install-tools (Debian's nginx)");
    Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg("stderr")
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .spawn()
        .expect("start nginx")
}

fn start_caddy(folder: &Path, port: u16, portal: &str, sites: &[Site]) -> Child {
    let file = readme_block("caddy").replace("127.0.0.1:3000", portal);
    let at = file.find("app.example.com {").expect("the README's Caddyfile has the app's site");
    let (head, app_block) = file.split_at(at);
    let mut caddyfile = head.replace("auth.example.com {", &format!("http://{PORTAL_HOST}:{port} {{"));
    for each in sites {
        let addresses: Vec<String> = each.hosts.iter().map(|h| format!("http://{h}:{port}")).collect();
        caddyfile.push_str(
            &app_block
                .replace("127.0.0.1:8080", &each.upstream)
                .replace("app.example.com {", &format!("{} {{", addresses.join(", "))),
        );
        caddyfile.push('\n');
    }
    assert!(!caddyfile.contains("example.com"), "every README host was replaced:\n{caddyfile}");
    let dir = folder.join("caddy");
    std::fs::create_dir_all(&dir).expect("caddy folder");
    // No admin endpoint (several Caddies run at once) and plain http (the sites name ports).
    let caddyfile = format!("{{\n\tadmin off\n\tauto_https off\n}}\n\n{caddyfile}\n");
    std::fs::write(dir.join("Caddyfile"), caddyfile).expect("Caddyfile");
    let caddy = ["/usr/bin/caddy", "/usr/local/bin/caddy"].into_iter().find(|p| Path::new(p).exists());
    let caddy = caddy.expect("caddy is not installed: run ./.ci/install-tools (Debian's caddy)");
    Command::new(caddy)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"))
        .env("XDG_CONFIG_HOME", &dir)
        .env("XDG_DATA_HOME", &dir)
        .env("HOME", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caddy")
}

/// `application/x-www-form-urlencoded`-style escaping of everything but unreserved characters,
/// as the gate encodes `rd`.
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A proxy's answer to a raw request: its status and its header lines.
pub struct RawAnswer {
    pub status: u16,
    pub head: String,
}

impl RawAnswer {
    /// The value of the first header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, value) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `request` as written (request line, headers, blank line) to the proxy on `port` and
/// reads the whole answer: no client-side clean-up of the target or the headers.
pub async fn send_raw(port: u16, request: &str) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("the proxy accepts");
    stream.write_all(request.as_bytes()).await.expect("the request is sent");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer within 10 s to {request:?}");
    let text = String::from_utf8_lossy(&answer);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    RawAnswer { status, head }
}
