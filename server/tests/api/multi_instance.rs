//! Several instances on one PostgreSQL database behave as one (run when TEST_POSTGRES_URL is
//! set): two real server processes, requests alternating between them; and a database that goes
//! away mid-test gives 503s, then the server recovers by itself.

use crate::helpers::codes::code_now;
use crate::helpers::{client, fresh_database_url, on_postgres, spawn_app_with, test_config, TEST_KEY};
use reqwest::{Client, StatusCode};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A server process of the built binary, stopped when dropped.
struct Instance {
    child: Child,
    address: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_instance(database_url: &str) -> Instance {
    start_instance_at(database_url, None).await
}

/// An instance with `PUBLIC_URL` set (instances behind one load balancer share it).
async fn start_instance_at(database_url: &str, public_url: Option<&str>) -> Instance {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    if let Some(public_url) = public_url {
        command.env("PUBLIC_URL", public_url);
    }
    let child = command
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("TOTP_ENCRYPTION_KEY", TEST_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    let instance = Instance { child, address: format!("http://127.0.0.1:{port}") };
    for _ in 0..100 {
        if let Ok(r) = client().get(format!("{}/healthz", instance.address)).send().await {
            if r.status() == StatusCode::OK {
                return instance;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on port {port} did not become healthy");
}

async fn post(c: &Client, instance: &Instance, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(format!("{}/api/{endpoint}", instance.address))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Two instances started together on a fresh database (migrations run once, under sqlx's
/// lock), and "alice" registered on one, set up on the other and confirmed on the first: a
/// session made on one is valid on the other (cookies are per host, not per port).
async fn two_instances_and_alice() -> (Instance, Instance, String, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    let (a, b) = tokio::join!(start_instance(&url), start_instance(&url));
    let c = client();
    assert_eq!(post(&c, &a, "register", &[("username", "alice"), ("password", "correct horse")]).await.status(), 200);
    assert_eq!(post(&c, &b, "me", &[]).await.status(), 200);
    let setup: serde_json::Value = post(&c, &b, "2fa/setup", &[]).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert_eq!(post(&c, &a, "2fa/confirm", &[("otp", &code_now(&secret, 0))]).await.status(), 200);
    (a, b, secret, folder)
}

#[tokio::test]
async fn two_instances_on_one_database_behave_as_one() {
    if !on_postgres() {
        return;
    }
    let (a, b, secret, _folder) = two_instances_and_alice().await;
    away_from_step_boundary(8).await;

    // A code accepted by one instance is refused by the other.
    let first = client();
    assert_eq!(post(&first, &a, "login", &[("username", "alice"), ("password", "correct horse")]).await.status(), 200);
    let code = code_now(&secret, 1);
    assert_eq!(post(&first, &b, "login/2fa", &[("otp", &code)]).await.status(), 200);
    let second = client();
    post(&second, &b, "login", &[("username", "alice"), ("password", "correct horse")]).await;
    assert_eq!(post(&second, &a, "login/2fa", &[("otp", &code)]).await.status(), StatusCode::UNAUTHORIZED);

    // Failures counted on one count on all: the replay above was the first; four more spread
    // over both make five, then both refuse.
    let guesser = client();
    post(&guesser, &a, "login", &[("username", "alice"), ("password", "correct horse")]).await;
    for i in 0..4 {
        let instance = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            post(&guesser, instance, "login/2fa", &[("otp", &code_now(&secret, 10))]).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    for instance in [&a, &b] {
        assert_eq!(
            post(&guesser, instance, "login/2fa", &[("otp", &code_now(&secret, 1))]).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}

#[tokio::test]
async fn concurrent_submissions_of_one_code_to_two_instances_give_exactly_one_success() {
    if !on_postgres() {
        return;
    }
    let (a, b, secret, _folder) = two_instances_and_alice().await;
    let mut sessions = Vec::new();
    for i in 0..4 {
        let s = client();
        let instance = if i % 2 == 0 { &a } else { &b };
        post(&s, instance, "login", &[("username", "alice"), ("password", "correct horse")]).await;
        sessions.push(s);
    }
    away_from_step_boundary(5).await;
    let code = code_now(&secret, 1);
    let form = [("otp", code.as_str())];
    let attempts = sessions.iter().enumerate().map(|(i, s)| {
        let instance = if i % 2 == 0 { &a } else { &b };
        post(s, instance, "login/2fa", &form)
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
}

/// A TCP relay between the server and PostgreSQL that the test can cut and restore: the
/// database "goes away" for this server without stopping the PostgreSQL other tests share.
struct Relay {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(port: u16, target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("relay port");
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, task }
    }

    /// Drops every relayed connection and stops accepting new ones.
    fn cut(self) -> u16 {
        self.task.abort();
        self.port
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_database_goes_away_the_server_answers_503_and_recovers() {
    let Some(admin) = crate::helpers::postgres_admin_url() else { return };
    let folder = tempfile::tempdir().unwrap();
    let direct = fresh_database_url(folder.path()).await;
    let target = {
        let after_at = admin.split('@').nth(1).unwrap();
        after_at.split('/').next().unwrap().to_owned()
    };
    let relay = Relay::start(free_port(), target.clone()).await;
    let relayed = direct.replacen(&target, &format!("127.0.0.1:{}", relay.port), 1);
    let app = spawn_app_with(test_config(relayed)).await;
    let c = client();
    app.register(&c, "alice", "correct horse").await;
    assert_eq!(client().get(app.url("/healthz")).send().await.unwrap().status(), 200);

    let port = relay.cut();
    let started = std::time::Instant::now();
    let health = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let login = app.post(&client(), "login", &[("username", "alice"), ("password", "correct horse")]).await;
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE, "not a 500, not a hang");
    assert!(login.headers().contains_key("retry-after"));
    let me = app.post(&c, "me", &[]).await;
    assert_eq!(me.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(20), "answers came quickly: {:?}", started.elapsed());

    // The database comes back: the server recovers by itself.
    let _relay = Relay::start(port, target).await;
    let mut healthy = false;
    for _ in 0..50 {
        if client().get(app.url("/healthz")).send().await.unwrap().status() == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(healthy, "healthy again");
    assert_eq!(app.post(&c, "me", &[]).await.status(), 200, "the session survived the outage");
    let login = app.post(&client(), "login", &[("username", "alice"), ("password", "correct horse")]).await;
    assert_eq!(login.status(), 200);
}

/// The instances here are separate processes on the system clock: a test that submits several
/// codes waits, if needed, until at least `margin` seconds remain in the current time-step, so
/// its codes do not straddle a step boundary. (In-process tests move a manual clock instead.)
async fn away_from_step_boundary(margin: u64) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let left = 30 - now % 30;
    if left < margin {
        tokio::time::sleep(std::time::Duration::from_secs(left + 1)).await;
    }
}

/// OpenID Connect across instances: a code issued by one is exchanged at the other, the ID token
/// it signs verifies against the JWKS the first publishes (one key, in the database), and the
/// access token works on the first; a replay of the code is refused by either.
#[tokio::test]
async fn two_instances_issue_and_accept_each_others_codes_and_tokens() {
    use openidconnect::{
        core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet},
        ClientId, IssuerUrl, JsonWebKeySetUrl, Nonce,
    };
    if !on_postgres() {
        return;
    }
    const ISSUER: &str = "http://auth.example.test";
    const REDIRECT: &str = "http://app.example.test/cb";
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    let (a, b) = tokio::join!(start_instance_at(&url, Some(ISSUER)), start_instance_at(&url, Some(ISSUER)));
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.unwrap();
    let client_spec = domain::openid::store::clients::NewClient {
        client_id: "spa".into(),
        name: None,
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: Vec::new(),
        public: true,
        policy: domain::openid::store::clients::ClientPolicy::OneFactor,
        allowed_groups: vec![],
        allow_insecure_http: true,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    };
    domain::openid::store::clients::add(&db, &client_spec, 0).await.unwrap();
    let c = client();
    assert_eq!(post(&c, &a, "register", &[("username", "alice"), ("password", "correct horse")]).await.status(), 200);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; // RFC 7636 Appendix B
    let authorize = format!(
        "{}/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid%20profile&nonce=n-1\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        a.address,
        form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let back = c.get(authorize).send().await.unwrap();
    let back = back.headers()["location"].to_str().unwrap().to_owned();
    let code = form_urlencoded::parse(back.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code from the first instance");
    let exchange = |instance: &Instance| {
        let url = format!("{}/oidc/token", instance.address);
        let form = [
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", "spa".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ];
        async move { client().post(url).form(&form).send().await.unwrap() }
    };
    let r = exchange(&b).await;
    assert_eq!(r.status(), StatusCode::OK, "the second instance accepts the first one's code");
    let tokens: serde_json::Value = r.json().await.unwrap();
    let http = client();
    let jwks_url = JsonWebKeySetUrl::new(format!("{}/oidc/jwks", a.address)).unwrap();
    let jwks = CoreJsonWebKeySet::fetch_async(&jwks_url, &http).await.unwrap();
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new("spa".into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        jwks,
    );
    let id_token: CoreIdToken = tokens["id_token"].as_str().unwrap().parse().unwrap();
    let claims = id_token.claims(&verifier, &Nonce::new("n-1".into())).expect("B's signature, A's published key");
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("alice"));
    let info = client()
        .get(format!("{}/oidc/userinfo", a.address))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK, "B's access token works on A");
    for instance in [&a, &b] {
        let replay: serde_json::Value = exchange(instance).await.json().await.unwrap();
        assert_eq!(replay["error"], "invalid_grant");
    }
}

/// A security-key ceremony begun on one instance is finished on the other (its state waits in
/// the database), for adding a key and for signing in with it.
#[tokio::test]
async fn a_security_key_ceremony_begun_on_one_instance_ends_on_the_other() {
    use crate::helpers::soft_key::SoftKey;
    if !on_postgres() {
        return;
    }
    const ORIGIN: &str = "http://localhost:3000";
    let folder = tempfile::tempdir().unwrap();
    let url = fresh_database_url(folder.path()).await;
    let (a, b) = tokio::join!(start_instance_at(&url, Some(ORIGIN)), start_instance_at(&url, Some(ORIGIN)));
    let c = client();
    assert_eq!(post(&c, &a, "register", &[("username", "alice"), ("password", "correct horse")]).await.status(), 200);
    let options = |r: serde_json::Value| -> serde_json::Value {
        serde_json::from_str(r["options"].as_str().expect("options")).unwrap()
    };
    let mut key = SoftKey::new();
    let started = post(&c, &a, "security-keys/add/start", &[("name", "Blue key")]).await.json().await.unwrap();
    let credential = key.register(&options(started), ORIGIN);
    let r = post(&c, &b, "security-keys/add/finish", &[("credential", &credential)]).await;
    assert_eq!(r.status(), StatusCode::OK, "added on the other instance");

    let d = client();
    assert_eq!(post(&d, &b, "login", &[("username", "alice"), ("password", "correct horse")]).await.status(), 200);
    let started = post(&d, &b, "login/security-key/start", &[]).await.json().await.unwrap();
    let credential = key.sign_in(&options(started), ORIGIN);
    let r = post(&d, &a, "login/security-key/finish", &[("credential", &credential)]).await;
    assert_eq!(r.status(), StatusCode::OK, "signed in on the other instance");
    assert_eq!(post(&d, &b, "me", &[]).await.status(), StatusCode::OK);
}
