//! One-time registration links. Only a SHA-256 of each link's token is kept (the link is shown
//! once, to the operator who made it). A link is spent in the same transaction that creates its
//! account, by one conditional statement: of any number of uses at the same moment, on SQLite
//! or PostgreSQL, exactly one finds it open.

use super::accounts::{bool_column, groups_of};
use crate::{credentials::secret_box, input::Username};
use sqlx::{AnyPool, Row};

/// How many invitations the list shows, newest first.
pub const LIST_LIMIT: i64 = 100;

/// What an invitation grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    pub groups: Vec<String>,
    /// The new account must turn on two-factor authentication before anything else.
    pub require_two_factor: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Open,
    Used,
    Revoked,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// A short public name (for the list and `revoke`): it opens nothing.
    pub id: String,
    pub grants: Grants,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_by: Option<String>,
    pub state: InvitationState,
}

fn token_hash(token: &str) -> String {
    secret_box::sha256_hex(token.as_bytes())
}

fn from_row(row: &sqlx::any::AnyRow, now: i64) -> Result<Invitation, sqlx::Error> {
    let used_at: Option<i64> = row.try_get("used_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let state = match (used_at, revoked_at) {
        (Some(_), _) => InvitationState::Used,
        (None, Some(_)) => InvitationState::Revoked,
        (None, None) if expires_at <= now => InvitationState::Expired,
        (None, None) => InvitationState::Open,
    };
    Ok(Invitation {
        id: row.try_get("id")?,
        grants: Grants {
            groups: groups_of(&row.try_get::<String, _>("groups")?),
            require_two_factor: bool_column(row, "require_two_factor")?,
        },
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at,
        used_by: row.try_get("used_by")?,
        state,
    })
}

/// Stores a new invitation valid until `expires_at`, on the caller's connection (in the
/// transaction that mails its link, if it is mailed); returns its id and its token (the secret
/// part of the link, never stored).
pub async fn create(
    conn: &mut sqlx::AnyConnection,
    grants: &Grants,
    created_by: &str,
    now: i64,
    expires_at: i64,
) -> Result<(String, String), sqlx::Error> {
    let id = secret_box::random_hex(6);
    let token = secret_box::random_hex(24);
    sqlx::query(
        "INSERT INTO invitations (id, token_hash, groups, require_two_factor, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(token_hash(&token))
    .bind(grants.groups.join(","))
    .bind(i64::from(grants.require_two_factor))
    .bind(created_by)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok((id, token))
}

const COLUMNS: &str =
    "id, groups, require_two_factor, created_by, created_at, expires_at, used_at, used_by, revoked_at";

/// The newest invitations (at most `LIST_LIMIT`), newest first.
pub async fn list(db: &AnyPool, now: i64) -> Result<Vec<Invitation>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM invitations ORDER BY created_at DESC, id LIMIT $1"))
        .bind(LIST_LIMIT)
        .fetch_all(db)
        .await?
        .iter()
        .map(|row| from_row(row, now))
        .collect()
}

/// The invitation a link's token names, whatever its state; `None` for a token never issued.
pub async fn find(db: &AnyPool, token: &str, now: i64) -> Result<Option<Invitation>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1"))
        .bind(token_hash(token))
        .fetch_optional(db)
        .await?
        .map(|row| from_row(&row, now))
        .transpose()
}

/// Revokes an open invitation; `false` when there is no open one by that id.
pub async fn revoke(db: &AnyPool, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(id.trim())
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}

/// What using a link came to.
#[derive(Debug)]
pub enum Redeemed {
    /// The account was made; its id, and what the invitation granted it.
    Created { account_id: i64, grants: Grants },
    /// The link is not open (used, revoked, expired, or never issued).
    Gone,
    /// The username is taken: nothing changed, the link stays open.
    NameTaken,
}

/// Spends the link and creates its account, in one transaction: the link is claimed by a
/// conditional UPDATE (a second use, concurrent or not, finds it spent), and a taken username
/// rolls the claim back.
pub async fn redeem(
    db: &AnyPool,
    token: &str,
    name: &Username,
    password_hash: &str,
    now: i64,
) -> Result<Redeemed, sqlx::Error> {
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE invitations SET used_at = $1, used_by = $2
         WHERE token_hash = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
         RETURNING groups, require_two_factor",
    )
    .bind(now)
    .bind(name.as_str())
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claimed) = claimed else { return Ok(Redeemed::Gone) };
    let grants = Grants {
        groups: groups_of(&claimed.try_get::<String, _>("groups")?),
        require_two_factor: bool_column(&claimed, "require_two_factor")?,
    };
    let created = sqlx::query(
        "INSERT INTO users (username, username_key, password_hash, groups, two_factor_required, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username_key) DO NOTHING RETURNING id",
    )
    .bind(name.as_str())
    .bind(name.key())
    .bind(password_hash)
    .bind(grants.groups.join(","))
    .bind(i64::from(grants.require_two_factor))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(created) = created else {
        tx.rollback().await?;
        return Ok(Redeemed::NameTaken);
    };
    let account_id = created.try_get("id")?;
    tx.commit().await?;
    Ok(Redeemed::Created { account_id, grants })
}
