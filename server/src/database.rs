//! The database: SQLite through sqlx, the file and its folder created on first run, migrations
//! applied at start-up.

use crate::startup::StartupError;
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};
use std::{str::FromStr, time::Duration};

/// The pool, and the path of the database file (the default key file goes beside it).
pub async fn connect(url: &str) -> Result<(SqlitePool, std::path::PathBuf), StartupError> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => {}
        "postgres" | "postgresql" => {
            return Err(StartupError::Config(
                "DATABASE_URL: PostgreSQL is not supported by this version yet; use sqlite://path/to/file.db".into(),
            ))
        }
        _ => {
            return Err(StartupError::Config(format!(
                "DATABASE_URL={url:?} is not a database URL; expected sqlite://path/to/file.db"
            )))
        }
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StartupError::Config(format!("DATABASE_URL={url:?} is malformed: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let path = options.get_filename().to_path_buf();
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| {
            StartupError::Database(format!("cannot create the database folder {}: {e}", folder.display()))
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| StartupError::Database(format!("cannot open the SQLite database {}: {e}", path.display())))?;
    Ok((pool, path))
}

pub async fn migrate(db: &SqlitePool) -> Result<(), StartupError> {
    sqlx::migrate!("./migrations")
        .run(db)
        .await
        .map_err(|e| StartupError::Database(format!("cannot apply the database migrations: {e}")))
}

/// Whether the database answers a trivial query within two seconds.
pub async fn is_healthy(db: &SqlitePool) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(db)).await,
        Ok(Ok(_))
    )
}
