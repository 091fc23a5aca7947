//! The real server, started in-process on port 0 with a fresh database and a manual clock.

use domain::Clock;
use reqwest::Client;
use server::{startup::config::Config, Application};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct TestApp {
    pub address: String,
    /// The SQLite file (`None` on PostgreSQL).
    pub db_path: Option<std::path::PathBuf>,
    pub db: sqlx::AnyPool,
    /// The database's URL, for an operator command run beside the server.
    pub database_url: String,
    /// The server's clock: it stands still until a test moves it (`advance`), so a test jumps a
    /// time-step or a timeout instead of waiting for one.
    pub clock: Clock,
    /// Host names the server's clients find at a fixed address (a proxy in front of it).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    _folder: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The PostgreSQL server the suite runs against, when `TEST_POSTGRES_URL` names one (a role that
/// may create databases); otherwise the suite runs on SQLite files.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty())
}

/// A fresh, empty database for one test: a new SQLite file in `folder`, or a new PostgreSQL
/// database when the suite runs on PostgreSQL.
pub async fn fresh_database_url(folder: &std::path::Path) -> String {
    match postgres_admin_url() {
        None => format!("sqlite://{}", folder.join("nested").join("app.db").display()),
        Some(admin) => {
            sqlx::any::install_default_drivers();
            let name = format!("totp_test_{}", uuid_like());
            let mut admin_conn =
                <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.expect("PostgreSQL admin connection");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin_conn).await.expect("CREATE DATABASE");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{}_{}_{}", std::process::id(), nanos % 1_000_000_000, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A test configuration for a database URL. On PostgreSQL the TOTP key is given explicitly
/// (there is no database folder to keep a key file in).
pub fn test_config(database_url: String) -> Config {
    let mut config = Config::for_tests(database_url.clone());
    if database_url.starts_with("postgres") {
        config.totp_key = Some(server::infra::encryption_key::KeySource::Value(TEST_KEY.into()));
    }
    config
}

/// A fixed TOTP encryption key for tests (base64 of 32 bytes).
pub const TEST_KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=";

/// Starts the real server on a free port with a fresh database.
pub async fn spawn_app() -> TestApp {
    let folder = tempfile::tempdir().expect("temp dir");
    let url = fresh_database_url(folder.path()).await;
    let mut app = spawn_app_with(test_config(url)).await;
    app._folder = Some(folder);
    app
}

pub fn on_postgres() -> bool {
    postgres_admin_url().is_some()
}

/// The one multi-threaded runtime every test server runs on, as a server runs in production: one
/// runtime per process. (A runtime per server made tasks of one server's page render land on
/// another server's runtime, which a finished test shut down: now and then a render never ended.)
fn servers_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime")
    })
}

/// Starts the real server with the given configuration (e.g. an existing database), in a
/// multi-threaded runtime of its own, as in production.
pub async fn spawn_app_with(config: Config) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        server::infra::telemetry::init(server::startup::config::LogFormat::Text);
    }
    let database_url = config.database_url.clone();
    let clock = config.clock.clone();
    let db_path = database_url.strip_prefix("sqlite://").map(std::path::PathBuf::from);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    servers_runtime().spawn(async move {
        // A failed start is the test's failure, with its cause (a panic here would only show in
        // whichever test's output first started the servers' runtime).
        let app = match Application::build(config).await {
            Ok(app) => app,
            Err(e) => {
                let _ = started_tx.send(Err(format!("{e:?}")));
                return;
            }
        };
        let _ = started_tx.send(Ok(app.port()));
        let _ = app
            .run_until(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    let port = match started_rx.await.expect("the server's start-up ended") {
        Ok(port) => port,
        Err(e) => panic!("the server did not start: {e}"),
    };
    let address = format!("http://127.0.0.1:{port}");
    // A connection of the test's own, to look at or arrange what the server stored.
    sqlx::any::install_default_drivers();
    let db = sqlx::pool::PoolOptions::<sqlx::Any>::new()
        .max_connections(2)
        .connect(&database_url)
        .await
        .expect("test connection");
    TestApp { address, db_path, db, database_url, clock, resolve: Vec::new(), _folder: None, stop: Some(stop_tx) }
}

/// A browser-like client of its own: keeps cookies, does not follow redirects.
pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

impl TestApp {
    /// A client of its own, as `client()`, that also finds the host names of `resolve`.
    pub fn new_client(&self) -> Client {
        let builder = Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none());
        let builder = self.resolve.iter().fold(builder, |b, (host, address)| b.resolve(host, *address));
        builder.build().expect("client")
    }

    /// `new_client`, connecting from the loopback address `local` (`127.0.0.2`, say): the server
    /// and the proxies see that address as the client's.
    pub fn new_client_from(&self, local: std::net::IpAddr) -> Client {
        let builder =
            Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).local_address(local);
        let builder = self.resolve.iter().fold(builder, |b, (host, address)| b.resolve(host, *address));
        builder.build().expect("client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Keeps `folder` (the database's) until the app is dropped.
    pub fn keep_folder(&mut self, folder: tempfile::TempDir) {
        self._folder = Some(folder);
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    /// The operator's command (`server ARGS`), run beside the server on its database, as another
    /// process.
    pub fn operator(&self, args: &[&str]) {
        self.operator_with_input(args, "");
    }

    /// `operator`, with `input` on the command's standard input (a password, say).
    pub fn operator_with_input(&self, args: &[&str], input: &str) {
        let output = operator_output(&self.database_url, args, input);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

/// `server ARGS` on the database at `database_url`, as another process, whatever it answers.
pub fn operator_output(database_url: &str, args: &[&str], input: &str) -> std::process::Output {
    use std::{io::Write, process::Stdio};
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command.args(args).env("DATABASE_URL", database_url).env("RUST_LOG", "warn");
    command.env_remove("TOTP_KEY_FILE").env_remove("TOTP_ENCRYPTION_KEY");
    if database_url.starts_with("postgres") {
        command.env("TOTP_ENCRYPTION_KEY", TEST_KEY);
    }
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    child.stdin.take().expect("its input").write_all(input.as_bytes()).expect("input written");
    child.wait_with_output().expect("the binary ends")
}
