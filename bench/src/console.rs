//! The operator's console with 10,000 accounts: the accounts are written straight into the
//! server's SQLite file (making them through the API would cost 10,000 Argon2 hashes, a minute
//! and a half of both cores, and measure nothing the console does), one seeded account with
//! two factors is made an administrator by the operator's command, and the scenario asks for a
//! page of a search, as an administrator looking for someone does.

use anyhow::Context;
use sqlx::{any::AnyPoolOptions, Executor};
use std::path::Path;

/// How many accounts the console is measured with.
pub const PEOPLE: usize = 10_000;

/// The page the scenario asks for: the second page of a search that matches a thousand accounts.
pub const SEARCH_PAGE: &str = "/admin?search=person1&page=1";

/// Adds `PEOPLE` accounts (`person00000` …) to the database in `data_dir`, and makes `admin` a
/// member of `admins` through `server user set` (which tells the running server at once).
pub async fn seed_people(server_binary: &Path, data_dir: &Path, admin: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", data_dir.join("app.db").display());
    let db = AnyPoolOptions::new().max_connections(1).connect(&url).await.context("opening the bench database")?;
    db.execute(
        format!(
            "INSERT INTO users (username, username_key, password_hash, groups, email, created_at)
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {})
             SELECT printf('person%05d', i), printf('person%05d', i), 'not a hash: no sign-in',
                    CASE WHEN i % 10 = 0 THEN 'staff' ELSE '' END, printf('person%05d@example.test', i), 0
             FROM n",
            PEOPLE - 1
        )
        .as_str(),
    )
    .await
    .context("seeding the people")?;
    db.close().await;
    let made = std::process::Command::new(server_binary)
        .args(["user", "set", admin, "--groups", "admins"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .context("running server user set")?;
    anyhow::ensure!(made.status.success(), "server user set: {}", String::from_utf8_lossy(&made.stderr));
    Ok(())
}
