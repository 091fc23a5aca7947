use hmac::{Hmac, Mac};
use reqwest::{header, Client, Response, StatusCode};
use serde_json::Value;
use server::{config::Config, Application};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct TestApp {
    pub address: String,
    /// The SQLite file (`None` on PostgreSQL).
    pub db_path: Option<std::path::PathBuf>,
    pub db: sqlx::AnyPool,
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
        config.totp_key = Some(server::encryption_key::KeySource::Value(TEST_KEY.into()));
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

/// Starts the real server with the given configuration (e.g. an existing database), in a
/// multi-threaded runtime of its own, as in production.
pub async fn spawn_app_with(config: Config) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        server::telemetry::init();
    }
    let database_url = config.database_url.clone();
    let db_path = database_url.strip_prefix("sqlite://").map(std::path::PathBuf::from);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let app = Application::build(config).await.expect("the server starts");
            let _ = started_tx.send(app.port());
            let _ = app
                .run_until(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
    });
    let port = started_rx.await.expect("the server started");
    let address = format!("http://127.0.0.1:{port}");
    // A connection of the test's own, to look at or arrange what the server stored.
    sqlx::any::install_default_drivers();
    let db = sqlx::pool::PoolOptions::<sqlx::Any>::new()
        .max_connections(2)
        .connect(&database_url)
        .await
        .expect("test connection");
    TestApp { address, db_path, db, _folder: None, stop: Some(stop_tx) }
}

/// A browser-like client of its own: keeps cookies, does not follow redirects.
pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `POST /api/<endpoint>` with form fields, as a script would (JSON answer).
    pub async fn post(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, client: &Client, username: &str, password: &str) {
        let r = self.post(client, "register", &[("username", username), ("password", password)]).await;
        assert_eq!(r.status(), StatusCode::OK, "register {username}");
    }

    /// Registers `username`, turns 2FA on and signs out. Returns the key and the recovery codes.
    pub async fn user_with_two_factor(&self, username: &str, password: &str) -> (String, Vec<String>) {
        let c = client();
        self.register(&c, username, password).await;
        let setup: Value = self.post(&c, "2fa/setup", &[]).await.json().await.unwrap();
        let secret = setup["secret"].as_str().unwrap().to_owned();
        let confirm = self.post(&c, "2fa/confirm", &[("otp", &totp_code(&secret, 0))]).await;
        assert_eq!(confirm.status(), StatusCode::OK);
        let body: Value = confirm.json().await.unwrap();
        let codes = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        (secret, codes)
    }

    /// A client whose session has passed the password step of a 2FA account.
    pub async fn pending_client(&self, username: &str, password: &str) -> Client {
        let c = client();
        let r = self.post(&c, "login", &[("username", username), ("password", password)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!({ "second_factor": true }));
        c
    }
}

pub async fn json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.expect("a JSON body");
    (status, body)
}

/// RFC 6238 TOTP (SHA1, 6 digits, 30 s) written here from the RFC, independent of the app.
/// `step_offset` shifts the time-step: -1 is the previous code, +1 the next.
pub fn totp_code(secret_base32: &str, step_offset: i64) -> String {
    let key = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32).expect("base32 key");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let counter = (now / 30 + step_offset) as u64;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:06}", binary % 1_000_000)
}

/// Waits, if needed, until at least `margin` seconds remain in the current time-step, so a
/// test that submits several codes does not straddle a step boundary.
pub async fn away_from_step_boundary(margin: u64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let left = 30 - now % 30;
    if left < margin {
        tokio::time::sleep(std::time::Duration::from_secs(left + 1)).await;
    }
}

pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("session="))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

#[test]
fn the_independent_totp_matches_rfc_6238() {
    // RFC 6238 Appendix B, SHA1 at T=59: 94287082 → last six digits 287082.
    let key = b"12345678901234567890";
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(&(59u64 / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    assert_eq!(format!("{:08}", binary % 100_000_000), "94287082");
}

/// The setup key as the setup page shows it (groups of four), without the spaces.
pub fn setup_key_from_page(html: &str) -> String {
    let after_id = html.split("id=\"setup-key\"").nth(1).expect("the setup key element");
    let text = after_id.split_once('>').map(|(_, rest)| rest).unwrap_or("");
    text.split('<').next().unwrap_or("").split_whitespace().collect()
}

/// Everything the database stores, as bytes, to search for secrets in clear: the SQLite file
/// (with its WAL), or on PostgreSQL every column of the tables that could hold one.
pub async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    if let Some(path) = &app.db_path {
        let mut bytes = std::fs::read(path).unwrap();
        for suffix in ["-wal", "-shm"] {
            let mut other = path.clone().into_os_string();
            other.push(suffix);
            bytes.extend(std::fs::read(other).unwrap_or_default());
        }
        return bytes;
    }
    let mut bytes = Vec::new();
    for (table, text_columns, blob_columns) in [
        ("users", vec!["username", "password_hash"], vec!["totp_secret"]),
        ("totp_enrollments", vec![], vec!["secret"]),
        ("recovery_codes", vec![], vec!["salt", "code_hash"]),
        ("security_events", vec!["kind", "detail"], vec![]),
        ("sessions", vec!["id_hash"], vec!["data"]),
    ] {
        for column in text_columns {
            let values: Vec<String> =
                sqlx::query_scalar(&format!("SELECT {column} FROM {table}")).fetch_all(&app.db).await.unwrap();
            values.iter().for_each(|v| bytes.extend_from_slice(v.as_bytes()));
        }
        for column in blob_columns {
            let values: Vec<Option<Vec<u8>>> =
                sqlx::query_scalar(&format!("SELECT {column} FROM {table}")).fetch_all(&app.db).await.unwrap();
            values.into_iter().flatten().for_each(|v| bytes.extend(v));
        }
    }
    bytes
}

impl TestApp {
    /// `post` with an owned client and form, for firing many requests at once.
    pub async fn post_with(&self, client: Client, endpoint: &str, form: Vec<(&str, &str)>) -> Response {
        self.post(&client, endpoint, &form).await
    }
}

/// RFC 4226 HOTP for any counter, digits and hash (SHA1 or SHA256), written here from the RFC.
pub fn hotp_code(secret_base32: &str, counter: u64, digits: u32, sha256: bool) -> String {
    let key = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32).expect("base32 key");
    let hash: Vec<u8> = if sha256 {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(&counter.to_be_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
        mac.update(&counter.to_be_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:0width$}", binary % 10u32.pow(digits), width = digits as usize)
}
