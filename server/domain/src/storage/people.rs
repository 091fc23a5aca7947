//! The operator's view of accounts: a searchable, paged list and one person's page, and the
//! statements only the operator makes (disable, enable, count the administrators). Everything else an operator changes goes through `accounts`.

use super::accounts::{bool_column, groups_of, TWO_FACTOR_SQL};
use crate::openid::store::{access_cache::AccessCache, grants};
use sqlx::{AnyPool, Row};

/// People per page of the list. Bounded: a page never holds more, however many accounts match.
pub const PAGE_SIZE: i64 = 50;

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub two_factor: bool,
    pub disabled: bool,
    pub created_at: i64,
}

/// One page of the list, and whether another page follows.
pub struct PeoplePage {
    pub people: Vec<PersonSummary>,
    pub more: bool,
}

/// `text` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The accounts whose username, display name or email contains `text` (any case), by username;
/// page `page` (from 0) of `PAGE_SIZE`.
pub async fn search(db: &AnyPool, text: &str, page: i64) -> Result<PeoplePage, sqlx::Error> {
    let text = text.trim();
    let (filter, pattern) = if text.is_empty() {
        ("", None)
    } else {
        (
            "WHERE username_key LIKE $3 ESCAPE '\\' OR lower(COALESCE(display_name, '')) LIKE $3 ESCAPE '\\'
               OR lower(COALESCE(email, '')) LIKE $3 ESCAPE '\\'",
            Some(contains_pattern(&text.to_lowercase())),
        )
    };
    let sql = format!(
        "SELECT username, display_name, email, groups, {TWO_FACTOR_SQL} AS two_factor, disabled_at, created_at
         FROM users {filter} ORDER BY username_key LIMIT $1 OFFSET $2"
    );
    let mut query = sqlx::query(&sql).bind(PAGE_SIZE + 1).bind(page.max(0).saturating_mul(PAGE_SIZE));
    if let Some(pattern) = pattern {
        query = query.bind(pattern);
    }
    let rows = query.fetch_all(db).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let people = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|row| {
            Ok(PersonSummary {
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                email: row.try_get("email")?,
                groups: groups_of(&row.try_get::<String, _>("groups")?),
                two_factor: bool_column(&row, "two_factor")?,
                disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
                created_at: row.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(PeoplePage { people, more })
}

/// One person as the console shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub groups: Vec<String>,
    /// An authenticator app is set up.
    pub app: bool,
    pub security_keys: i64,
    pub recovery_codes_left: i64,
    pub disabled: bool,
    pub created_at: i64,
    /// The last successful sign-in step in the security log.
    pub last_sign_in: Option<i64>,
}

/// The account named `name` (in any case).
pub async fn find(db: &AnyPool, name: &str) -> Result<Option<Person>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, username, display_name, email, email_verified_at, groups, totp_secret IS NOT NULL AS app,
                (SELECT COUNT(*) FROM security_keys k WHERE k.user_id = users.id) AS security_keys,
                (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = users.id AND r.used_at IS NULL) AS codes_left,
                (SELECT MAX(e.at) FROM security_events e WHERE e.user_id = users.id AND e.kind LIKE 'sign_in.success.%')
                    AS last_sign_in,
                disabled_at, created_at
         FROM users WHERE username_key = $1",
    )
    .bind(name.to_ascii_lowercase())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(Person {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            email_verified: row.try_get::<Option<i64>, _>("email_verified_at")?.is_some(),
            groups: groups_of(&row.try_get::<String, _>("groups")?),
            app: bool_column(&row, "app")?,
            security_keys: row.try_get("security_keys")?,
            recovery_codes_left: row.try_get("codes_left")?,
            disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            created_at: row.try_get("created_at")?,
            last_sign_in: row.try_get("last_sign_in")?,
        })
    })
    .transpose()
}

/// How many enabled accounts are in `group`.
pub async fn enabled_members(db: &AnyPool, group: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM users WHERE disabled_at IS NULL AND (',' || groups || ',') LIKE $1 ESCAPE '\\'",
    )
    .bind(contains_pattern(&format!(",{group},")))
    .fetch_one(db)
    .await?
    .try_get("n")
}

/// Disables the account: no sign-in succeeds, every session ends (the epoch moves) and the
/// tokens its apps hold are revoked, at once. `false` when it was disabled already.
pub async fn disable(db: &AnyPool, access: &AccessCache, account_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query(
        "UPDATE users SET disabled_at = $1, session_epoch = session_epoch + 1 WHERE id = $2 AND disabled_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(db)
    .await?
    .rows_affected()
        == 1;
    // Revoked whether or not this call disabled it: a token issued in between goes too; and so
    // are its remembered devices.
    grants::revoke_account(db, access, account_id).await?;
    super::remembered_devices::forget_all(db, account_id).await?;
    super::app_passwords::revoke_all(db, account_id).await?;
    Ok(changed)
}

/// Enables the account again. `false` when it was not disabled.
pub async fn enable(db: &AnyPool, account_id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL")
        .bind(account_id)
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_takes_wildcards_literally() {
        assert_eq!(contains_pattern("a_b%C\\"), "%a\\_b\\%C\\\\%");
    }
}
