//! The differential test of the gate: every target of `crafted_targets.txt` is sent raw (no
//! client-side clean-up: a TCP socket, the request line as written) through real nginx and Caddy,
//! configured as the README says, to apps that resolve paths as common servers do — nginx serving
//! files (its own `$uri`) and Python's standard file server (`python_file_server.py`) — and that
//! say which site and path they served. Whatever reached an app must satisfy the rule the gate
//! applies to that site and path, for the visitor who sent it: nobody, a password-only session,
//! or a two-factor one. Requests the proxy or the gate refused reached nothing, which is fine.

use crate::helpers::proxies::{free_port, run_nginx, send_raw, Proxied, ProxyKind, Site, Upstream};
use domain::{
    access_rules::{AccessRules, Decision, Policy},
    request_target::Target,
    storage::identities::Identity,
    visitor::{Factors, SignedIn, Visitor},
};
use reqwest::cookie::{CookieStore, Jar};
use std::{
    path::Path,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

const APP: &str = "app.example.test";
const PUBLIC: &str = "public.example.test";

/// The rules behind the proxy: a protected app with an open, a password-only and a closed part,
/// and a site anyone may reach.
const RULES: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "public.example.test"
policy = "bypass"

[[rules]]
domain = "app.example.test"
resources = ["^/public/"]
policy = "bypass"

[[rules]]
domain = "app.example.test"
resources = ["^/api/"]
policy = "one_factor"

[[rules]]
domain = "app.example.test"
resources = ["^/admin"]
policy = "deny"
"#;

/// How the apps behind the proxy resolve paths.
#[derive(Clone, Copy, Debug)]
enum Resolver {
    /// nginx serving files: `$uri` (decoded, dot segments removed, slashes merged).
    NginxFiles,
    /// Python's `http.server`: `translate_path` (decoded, `posixpath.normpath`).
    PythonFiles,
}

/// The apps of both sites, each answering with `X-Served: site=NAME path=PATH`.
struct Apps {
    sites: Vec<Site>,
    processes: Vec<Child>,
    _folder: tempfile::TempDir,
}

impl Drop for Apps {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = Command::new("kill").arg("-TERM").arg(process.id().to_string()).status();
            let _ = process.wait();
        }
    }
}

impl Apps {
    fn start(resolver: Resolver) -> Apps {
        let folder = tempfile::tempdir().expect("temp dir");
        let ports = [(APP, free_port()), (PUBLIC, free_port())];
        let processes = match resolver {
            Resolver::NginxFiles => {
                let servers: String = ports
                    .iter()
                    .map(|(site, port)| {
                        format!(
                            "server {{\n listen 127.0.0.1:{port};\n location / {{\n  \
                             add_header X-Served \"site={site} path=$uri\" always;\n  \
                             default_type text/plain;\n  return 200 \"served\\n\";\n }}\n}}\n"
                        )
                    })
                    .collect();
                vec![run_nginx(&folder.path().join("nginx-apps"), &servers)]
            }
            Resolver::PythonFiles => {
                let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/helpers/python_file_server.py");
                let root = folder.path().join("files");
                std::fs::create_dir_all(&root).expect("the files' root");
                ports
                    .iter()
                    .map(|(site, port)| {
                        Command::new("python3")
                            .arg(&script)
                            .arg(site)
                            .arg(port.to_string())
                            .arg(&root)
                            .stdout(Stdio::null())
                            .spawn()
                            .expect("python3 runs")
                    })
                    .collect()
            }
        };
        for (site, port) in ports {
            let deadline = Instant::now() + Duration::from_secs(20);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "the {resolver:?} app of {site} did not listen");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let sites = ports
            .iter()
            .map(|(site, port)| Site { hosts: vec![(*site).to_owned()], upstream: format!("127.0.0.1:{port}") })
            .collect();
        Apps { sites, processes, _folder: folder }
    }
}

/// One line of the corpus, with `{app}`, `{public}` and `{port}` filled in.
#[derive(Debug)]
struct Crafted {
    target: String,
    hosts: Vec<String>,
    version: String,
    method: String,
}

fn corpus(port: u16) -> Vec<Crafted> {
    let text = include_str!("crafted_targets.txt");
    let fill = |s: &str| s.replace("{app}", APP).replace("{public}", PUBLIC).replace("{port}", &port.to_string());
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            let hosts = columns.get(1).map_or_else(|| "{app}:{port}".to_owned(), |h| (*h).to_owned());
            Crafted {
                target: fill(columns[0]),
                hosts: hosts.split('|').filter(|h| !h.is_empty()).map(fill).collect(),
                version: columns.get(2).unwrap_or(&"HTTP/1.1").to_string(),
                method: columns.get(3).unwrap_or(&"GET").to_string(),
            }
        })
        .collect()
}

/// Who sends the crafted requests: their cookie, and who they are to the rules.
struct Sender {
    name: &'static str,
    cookie: Option<String>,
    visitor: Visitor,
}

impl Sender {
    /// Whether the rules let this visitor reach `path` on `site` with `method`.
    fn admitted(&self, rules: &AccessRules, site: &str, path: &str, method: &str) -> bool {
        let target = Target {
            scheme: "http".into(),
            host: site.into(),
            port: None,
            path: path.into(),
            query: None,
            method: method.into(),
        };
        let signed_in = self.visitor.signed_in().ok();
        match rules.decide(&target, &self.visitor, None) {
            Decision::Policy { policy: Policy::Bypass, .. } => true,
            Decision::Policy { policy: Policy::OneFactor, .. } => signed_in.is_some(),
            Decision::Policy { policy: Policy::TwoFactor, .. } => signed_in.is_some_and(|s| s.factors.two()),
            _ => false,
        }
    }
}

async fn senders(proxied: &Proxied) -> Vec<Sender> {
    let app = &proxied.app;
    let signed_in = |username: &str, factors: Factors| {
        let identity = Identity {
            username: username.to_owned(),
            two_factor: factors.two(),
            session_epoch: 0,
            display_name: None,
            email: None,
            email_verified: false,
            groups: Vec::new(),
            oidc_subject: None,
            disabled: false,
            two_factor_required: false,
        };
        Visitor::SignedIn(SignedIn { user_id: 0, identity: Arc::new(identity), authenticated_at: 0, factors })
    };
    let jar_client = || {
        let jar = Arc::new(Jar::default());
        let builder =
            reqwest::Client::builder().cookie_provider(jar.clone()).redirect(reqwest::redirect::Policy::none());
        let builder = app.resolve.iter().fold(builder, |b, (host, address)| b.resolve(host, *address));
        (builder.build().expect("client"), jar)
    };
    let cookie_of = |jar: &Jar| {
        let url = app.address.parse().expect("the portal's URL");
        jar.cookies(&url).map(|v| v.to_str().expect("a cookie").to_owned())
    };
    let (alice, alice_jar) = jar_client();
    app.register(&alice, "alice", "correct horse battery").await;
    let (secret, _) = app.user_with_two_factor("bob", "correct horse battery").await;
    let (bob, bob_jar) = jar_client();
    assert_eq!(app.login(&bob, "bob", "correct horse battery").await.status(), reqwest::StatusCode::OK);
    app.advance(30);
    assert_eq!(app.submit_code(&bob, &app.code(&secret, 0)).await.status(), reqwest::StatusCode::OK);
    vec![
        Sender { name: "nobody", cookie: None, visitor: Visitor::Anonymous },
        Sender {
            name: "alice (password)",
            cookie: cookie_of(&alice_jar),
            visitor: signed_in("alice", Factors::Password),
        },
        Sender {
            name: "bob (two factors)",
            cookie: cookie_of(&bob_jar),
            visitor: signed_in("bob", Factors::PasswordAndCode),
        },
    ]
}

/// What came back for a raw request: the status, and the site and path an app says it served.
struct Outcome {
    status: u16,
    served: Option<(String, String)>,
}

async fn send_crafted(port: u16, crafted: &Crafted, cookie: Option<&str>) -> Outcome {
    let mut request = format!("{} {} {}\r\n", crafted.method, crafted.target, crafted.version);
    for host in &crafted.hosts {
        request.push_str(&format!("Host: {host}\r\n"));
    }
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    request.push_str("Accept: text/html\r\nConnection: close\r\n\r\n");
    let answer = send_raw(port, &request).await;
    let served = answer.header("x-served").and_then(|value| {
        let (site, path) = value.strip_prefix("site=")?.split_once(" path=")?;
        Some((site.to_owned(), path.to_owned()))
    });
    Outcome { status: answer.status, served }
}

async fn what_reaches_an_app_satisfies_its_rule(kind: ProxyKind, resolver: Resolver) {
    let apps = Apps::start(resolver);
    let proxied = Proxied::start_with(kind, RULES, apps.sites.clone(), Upstream::start().await).await;
    let rules = AccessRules::parse(RULES).expect("the rules parse");
    let senders = senders(&proxied).await;
    let corpus = corpus(proxied.port());
    assert!(corpus.len() >= 200, "the corpus holds {} targets", corpus.len());
    let mut violations = Vec::new();
    let mut served = 0;
    for sender in &senders {
        for crafted in &corpus {
            let outcome = send_crafted(proxied.port(), crafted, sender.cookie.as_deref()).await;
            let Some((site, path)) = outcome.served else { continue };
            served += 1;
            if !sender.admitted(&rules, &site, &path, &crafted.method) {
                violations.push(format!(
                    "{} sent {:?} (Host {:?}, {} {}): {} served {path:?} on {site} ({})",
                    sender.name,
                    crafted.target,
                    crafted.hosts,
                    crafted.method,
                    crafted.version,
                    resolver_name(resolver),
                    outcome.status
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "{kind:?} + {resolver:?}: {} walked around the gate:\n{}",
        violations.len(),
        violations.join("\n")
    );
    // Not vacuous: the clean targets reached the apps for the visitors their rules admit.
    assert!(served >= 40, "{kind:?} + {resolver:?}: only {served} requests reached an app");
    for (target, sender, expected) in [
        ("/public/page", &senders[0], "/public/page"),
        ("/api/items", &senders[1], "/api/items"),
        ("/secret/", &senders[2], "/secret/"),
    ] {
        let crafted = Crafted {
            target: target.into(),
            hosts: vec![format!("{APP}:{}", proxied.port())],
            version: "HTTP/1.1".into(),
            method: "GET".into(),
        };
        let outcome = send_crafted(proxied.port(), &crafted, sender.cookie.as_deref()).await;
        assert_eq!(outcome.served, Some((APP.to_owned(), expected.to_owned())), "{kind:?} + {resolver:?}: {target}");
    }
}

fn resolver_name(resolver: Resolver) -> &'static str {
    match resolver {
        Resolver::NginxFiles => "nginx's files",
        Resolver::PythonFiles => "Python's file server",
    }
}

#[tokio::test]
async fn crafted_targets_through_nginx_reach_only_what_their_rule_allows_on_an_nginx_app() {
    what_reaches_an_app_satisfies_its_rule(ProxyKind::Nginx, Resolver::NginxFiles).await;
}

#[tokio::test]
async fn crafted_targets_through_nginx_reach_only_what_their_rule_allows_on_a_python_app() {
    what_reaches_an_app_satisfies_its_rule(ProxyKind::Nginx, Resolver::PythonFiles).await;
}

#[tokio::test]
async fn crafted_targets_through_caddy_reach_only_what_their_rule_allows_on_an_nginx_app() {
    what_reaches_an_app_satisfies_its_rule(ProxyKind::Caddy, Resolver::NginxFiles).await;
}

#[tokio::test]
async fn crafted_targets_through_caddy_reach_only_what_their_rule_allows_on_a_python_app() {
    what_reaches_an_app_satisfies_its_rule(ProxyKind::Caddy, Resolver::PythonFiles).await;
}
