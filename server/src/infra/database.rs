//! The database, chosen by the scheme of `DATABASE_URL` alone: SQLite (the embedded default;
//! the file and its folder are created on first run) or PostgreSQL (what lets several instances
//! share one state). The app's queries go through one `AnyPool` in portable SQL; sessions go
//! through a second, smaller one (`session_store`). Migrations (one set per backend, the same
//! tables) run at start-up; on PostgreSQL sqlx holds an advisory lock while they run, so
//! instances starting together apply them once.

use crate::{infra::private_files, startup::error::StartupError};
use sqlx::{
    any::AnyPoolOptions,
    postgres::PgConnectOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    AnyPool, Executor,
};
use std::{path::PathBuf, str::FromStr, time::Duration};

/// How long a request waits for a database connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// PostgreSQL statements running longer than this are cancelled (no request hangs on a lock).
const POSTGRES_STATEMENT_TIMEOUT: &str = "5s";

pub enum Backend {
    Sqlite { path: PathBuf },
    Postgres,
}

pub struct Database {
    pub pool: AnyPool,
    pub backend: Backend,
    /// A pool of its own for the session store, so sessions never wait behind a busy flow.
    pub sessions: AnyPool,
}

/// A file beside the SQLite `database`: `app.db` → `app.db<suffix>` (its lock, a copy under way).
pub fn beside(database: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    database.with_file_name(name)
}

/// The file of a `sqlite:` URL (`None` for other databases and for `sqlite::memory:`).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    (!path.as_os_str().is_empty() && path != std::path::Path::new(":memory:")).then(|| path.to_path_buf())
}

pub async fn connect(url: &str) -> Result<Database, StartupError> {
    sqlx::any::install_default_drivers();
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => connect_sqlite(url).await,
        "postgres" | "postgresql" => connect_postgres(url).await,
        _ => Err(StartupError::Config(format!(
            "DATABASE_URL (scheme {scheme:?}) is not a database URL; expected sqlite://path/to/file.db or postgres://user:password@host/database"
        ))),
    }
}

async fn connect_sqlite(url: &str) -> Result<Database, StartupError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StartupError::Config(format!("DATABASE_URL is a malformed SQLite URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let path = options.get_filename().to_path_buf();
    private_files::create_database_file(&path)?;
    let cannot_open =
        |e: sqlx::Error| StartupError::database(format!("cannot open the SQLite database {}", path.display()), e);
    // One connection first puts the file in WAL mode (a setting of the file, kept).
    SqlitePoolOptions::new().max_connections(1).connect_with(options).await.map_err(cannot_open)?.close().await;
    // Each SQLite connection is a thread that every statement is handed to and back from, so the
    // pools are small (SQLite writes one at a time anyway; a few connections let reads overlap),
    // and there is no ping before each use (`test_before_acquire`): the connection is a file in
    // this process, and a ping is one more round trip per statement.
    let any_url = format!("sqlite://{}", path.display());
    let sqlite_pool = |connections: u32| {
        AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            })
            .connect(&any_url)
    };
    let pool = sqlite_pool(4).await.map_err(cannot_open)?;
    let sessions = sqlite_pool(2).await.map_err(cannot_open)?;
    Ok(Database { pool, backend: Backend::Sqlite { path }, sessions })
}

async fn connect_postgres(url: &str) -> Result<Database, StartupError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StartupError::Config(format!("DATABASE_URL is a malformed PostgreSQL URL: {e}")))?;
    let target =
        format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or("postgres"));
    let cannot_connect =
        |e: sqlx::Error| StartupError::database(format!("cannot connect to PostgreSQL at {target}"), e);
    let postgres_pool = |connections: u32| {
        AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(format!("SET statement_timeout = '{POSTGRES_STATEMENT_TIMEOUT}'").as_str()).await?;
                    Ok(())
                })
            })
            .connect(url)
    };
    let pool = postgres_pool(16).await.map_err(cannot_connect)?;
    let sessions = postgres_pool(4).await.map_err(cannot_connect)?;
    Ok(Database { pool, backend: Backend::Postgres, sessions })
}

pub async fn migrate(db: &Database) -> Result<(), StartupError> {
    let result = match db.backend {
        Backend::Sqlite { .. } => sqlx::migrate!("./migrations/sqlite").run(&db.pool).await,
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&db.pool).await,
    };
    result.map_err(StartupError::Migrations)
}

/// Whether the database answers a trivial query within two seconds.
pub async fn is_healthy(db: &AnyPool) -> bool {
    matches!(tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(db)).await, Ok(Ok(_)))
}
