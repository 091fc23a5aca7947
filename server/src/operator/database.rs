//! The database the commands work on, the account a command names, and the note a running
//! server reads to catch up with a change.

use super::outcome::{OperatorError, Outcome};
use crate::{infra::database, startup::config::Config};
use domain::storage::accounts;
use sqlx::AnyPool;

pub(super) async fn open_database(config: &Config) -> Result<AnyPool, OperatorError> {
    let db = database::connect(&config.database_url).await?;
    database::migrate(&db).await?;
    Ok(db.pool)
}

pub(super) async fn find(db: &AnyPool, name: &str) -> Result<(i64, String), OperatorError> {
    accounts::find_id(db, name).await?.ok_or_else(|| OperatorError::NoSuchUser(name.to_owned()))
}

/// `result`, and when it is a change that succeeded, announced to a server running on the same
/// SQLite file, which then catches up at once (`outside_changes`). Should the file beside the
/// database not be writable, the server still sees the change within a second (what it keeps
/// in memory lives that long): say so.
pub(super) fn announced(
    config: &Config,
    changes: bool,
    result: Result<Outcome, OperatorError>,
) -> Result<Outcome, OperatorError> {
    let path = database::sqlite_path(&config.database_url).filter(|_| changes && result.is_ok());
    if let Some(Err(e)) = path.map(|path| domain::storage::outside_changes::announce(&path)) {
        eprintln!("note: a server running on this database may take up to a second to see this change ({e})");
    }
    result
}
