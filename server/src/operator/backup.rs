//! `server backup FILE` and `server restore FILE` (SQLite). A backup is a consistent copy of the
//! database taken while the server runs (`VACUUM INTO`: one read transaction, so it is the
//! database as of one moment, and it never blocks the server's writes for long). A restore puts
//! such a copy in place of the database, and refuses while a server uses it. PostgreSQL has its
//! own tools (`pg_dump`, `pg_restore`: README, "Backups").
//!
//! Neither copies the key file (`TOTP_KEY_FILE`) or `TOTP_ENCRYPTION_KEY`: keep it apart from the
//! backups, and restore it with them — a database without its key opens no TOTP secret.

use super::outcome::{OperatorError, Outcome};
use crate::{
    infra::{
        database, private_files,
        serving_lock::{ServingLock, Taken},
    },
    startup::config::Config,
};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqlitePoolOptions},
    Row, SqlitePool,
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// The database file of a SQLite `DATABASE_URL`; PostgreSQL is refused with where to look.
fn sqlite_file(config: &Config, command: &str) -> Result<PathBuf, OperatorError> {
    database::sqlite_path(&config.database_url).ok_or_else(|| {
        OperatorError::Refused(format!(
            "server {command} works on a SQLite DATABASE_URL; for PostgreSQL use pg_dump and pg_restore (README, \"Backups\")"
        ))
    })
}

/// A connection that reads `file` and changes nothing.
async fn read_only(file: &Path) -> Result<SqlitePool, OperatorError> {
    let options = SqliteConnectOptions::new().filename(file).read_only(true).busy_timeout(Duration::from_secs(10));
    Ok(SqlitePoolOptions::new().max_connections(1).connect_with(options).await?)
}

pub async fn backup(config: &Config, target: &Path) -> Result<Outcome, OperatorError> {
    let source = sqlite_file(config, "backup")?;
    if !source.is_file() {
        return Err(OperatorError::Refused(format!("there is no database at {}", source.display())));
    }
    // VACUUM INTO writes only into a file that does not exist or is empty: made here, private.
    private_files::create_private_folders(target)
        .and_then(|()| private_files::private_new_file().open(target).map(drop))
        .map_err(|e| {
            OperatorError::Refused(format!(
                "cannot create {} for the backup (it must not exist yet): {e}",
                target.display()
            ))
        })?;
    let pool = read_only(&source).await?;
    let taken = sqlx::query("VACUUM INTO $1").bind(target.to_string_lossy().into_owned()).execute(&pool).await;
    pool.close().await;
    if let Err(e) = taken {
        let _ = std::fs::remove_file(target);
        return Err(e.into());
    }
    Ok(Outcome::Printed(format!(
        "backed up {} to {} (keep the key file or TOTP_ENCRYPTION_KEY apart from it, and restore it with it)",
        source.display(),
        target.display()
    )))
}

pub async fn restore(config: &Config, backup: &Path) -> Result<Outcome, OperatorError> {
    let target = sqlite_file(config, "restore")?;
    check_is_a_backup(backup).await?;
    private_files::create_private_folders(&target).map_err(|e| OperatorError::Refused(e.to_string()))?;
    // Held while the copy goes in: a server starting meanwhile waits for nothing, but finds it.
    let _lock = match ServingLock::take(&target).map_err(|e| OperatorError::Refused(e.to_string()))? {
        Taken::Held(lock) => lock,
        Taken::ByAnother => {
            return Err(OperatorError::Refused(format!(
                "a server is running on {}: stop it, then restore",
                target.display()
            )))
        }
    };
    let incoming = database::beside(&target, "-restoring");
    let _ = std::fs::remove_file(&incoming);
    let copied = private_files::private_new_file()
        .open(&incoming)
        .and_then(|mut file| std::io::copy(&mut std::fs::File::open(backup)?, &mut file).and_then(|_| file.sync_all()));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&incoming);
        return Err(OperatorError::Refused(format!("cannot copy {}: {e}", backup.display())));
    }
    // The old database's write-ahead log belongs to it, not to the copy.
    for leftover in [database::beside(&target, "-wal"), database::beside(&target, "-shm")] {
        let _ = std::fs::remove_file(leftover);
    }
    std::fs::rename(&incoming, &target)
        .map_err(|e| OperatorError::Refused(format!("cannot put the copy in place of {}: {e}", target.display())))?;
    Ok(Outcome::Printed(format!(
        "restored {} from {} (start the server with the key that was in use when the backup was taken)",
        target.display(),
        backup.display()
    )))
}

/// A file this server's `backup` made: a sound SQLite database with this service's tables.
async fn check_is_a_backup(file: &Path) -> Result<(), OperatorError> {
    let not_one =
        |why: String| OperatorError::Refused(format!("{} is not a backup of this service: {why}", file.display()));
    if !file.is_file() {
        return Err(not_one("there is no such file".into()));
    }
    let pool = read_only(file).await.map_err(|e| not_one(e.to_string()))?;
    let checked = async {
        let integrity: String = sqlx::query("PRAGMA integrity_check").fetch_one(&pool).await?.try_get(0)?;
        let tables: i64 = sqlx::query(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', '_sqlx_migrations')",
        )
        .fetch_one(&pool)
        .await?
        .try_get(0)?;
        Ok::<_, sqlx::Error>((integrity, tables))
    }
    .await;
    pool.close().await;
    match checked {
        Ok((integrity, 2)) if integrity == "ok" => Ok(()),
        Ok((integrity, 2)) => Err(not_one(format!("SQLite finds it damaged ({integrity})"))),
        Ok(_) => Err(not_one("it holds no accounts table".into())),
        Err(e) => Err(not_one(e.to_string())),
    }
}
