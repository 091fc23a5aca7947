//! What operators did, naming the operator: the console's administrator by username, the
//! command line as `command line`. Kept apart from the people's own security logs (which get
//! an entry of their own for each change to them), so deleting an account keeps the record.

use sqlx::{AnyPool, Row};

/// How many entries the console shows, newest first.
pub const SHOWN: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminLogEntry {
    pub at: i64,
    pub admin: String,
    /// A stable kind, e.g. `person.disabled`.
    pub action: String,
    /// What it was done to: a username, an invitation id, an app's client id.
    pub subject: String,
    pub client_address: Option<String>,
}

/// Records an action. A failure to log is reported but never undoes the action.
pub async fn record(db: &AnyPool, entry: &AdminLogEntry) {
    let written =
        sqlx::query("INSERT INTO admin_log (at, admin, action, subject, client_address) VALUES ($1, $2, $3, $4, $5)")
            .bind(entry.at)
            .bind(&entry.admin)
            .bind(&entry.action)
            .bind(&entry.subject)
            .bind(entry.client_address.as_deref())
            .execute(db)
            .await;
    match written {
        Ok(_) => tracing::info!(
            target: "security",
            admin = %entry.admin,
            action = %entry.action,
            subject = %entry.subject,
            client_address = entry.client_address.as_deref().unwrap_or("-"),
            "operator action"
        ),
        Err(e) => tracing::error!(error = %e, action = %entry.action, "could not write the admin log"),
    }
}

/// The newest `SHOWN` entries, newest first.
pub async fn recent(db: &AnyPool) -> Result<Vec<AdminLogEntry>, sqlx::Error> {
    sqlx::query("SELECT at, admin, action, subject, client_address FROM admin_log ORDER BY at DESC, id DESC LIMIT $1")
        .bind(SHOWN)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok(AdminLogEntry {
                at: row.try_get("at")?,
                admin: row.try_get("admin")?,
                action: row.try_get("action")?,
                subject: row.try_get("subject")?,
                client_address: row.try_get("client_address")?,
            })
        })
        .collect()
}
