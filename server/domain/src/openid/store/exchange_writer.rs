//! The statement that exchanges codes for tokens, for one exchange or for several at once.
//!
//! On SQLite (one writer at a time) the exchanges go through one task, `ExchangeWriter`: the
//! exchanges that arrived while it was writing are written next, together, by one statement.
//! Concurrent exchanges then neither wait on SQLite's lock (its busy handler sleeps whole
//! milliseconds) nor pay one hand-off to a connection's thread each. Every exchange keeps its own
//! conditions (its code's single use, its client's registration, its account's epoch): a row
//! that fails them is not inserted and the others are. On PostgreSQL each request writes its own.

use super::grants::{self, TokenKind};
use crate::error::AuthError;
use crate::openid::{codes::Code, grant::Grant, signing_key::CURRENT_KID};
use sqlx::{any::AnyRow, pool::PoolConnection, Any, AnyConnection, AnyPool, Connection, Row};
use tokio::sync::{mpsc, oneshot};

/// The tokens a code is exchanged for, besides the ID token.
pub struct NewTokens<'a> {
    pub access_token: &'a str,
    pub access_expires_at: i64,
    /// With `offline_access`: the refresh token and when it expires.
    pub refresh: Option<(&'a str, i64)>,
}

/// The client registration as the token request authenticated it.
pub struct AuthenticatedClient<'a> {
    pub client_id: &'a str,
    /// Its secret's hash; `None` for a public client.
    pub secret_hash: Option<&'a str>,
}

pub enum Exchanged {
    /// The tokens are stored; this key signs now.
    Issued { signing_kid: String },
    /// The code was exchanged (or spent) before: its grant is to be revoked.
    AlreadyUsed,
    /// Nothing was stored: the client is no longer the registration the request authenticated
    /// against or the code was issued to, or the account left the code's session epoch.
    Stale,
}

/// Exchanges `code` (opened, checked) for `tokens`, once (see `grants`), through the exchange
/// writer when there is one (SQLite).
pub async fn exchange(
    db: &AnyPool,
    writer: Option<&ExchangeWriter>,
    code: &Code,
    code_hash: &str,
    client: &AuthenticatedClient<'_>,
    tokens: &NewTokens<'_>,
) -> Result<Exchanged, AuthError> {
    let row = ExchangeRow {
        grant: code.grant.clone(),
        access_token_hash: grants::hash(tokens.access_token),
        access_expires_at: tokens.access_expires_at,
        code_hash: code_hash.to_owned(),
        client_id: client.client_id.to_owned(),
        client_registered_at: code.client_registered_at,
        client_secret_hash: client.secret_hash.unwrap_or_default().to_owned(),
        session_epoch: code.session_epoch,
        subject: code.subject.clone(),
        refresh: tokens.refresh.map(|(token, expires_at)| (grants::hash(token), expires_at)),
    };
    if let Some(signing_kid) = write_one(db, writer, row).await? {
        return Ok(Exchanged::Issued { signing_kid });
    }
    Ok(if grants::was_used(db, code_hash).await? { Exchanged::AlreadyUsed } else { Exchanged::Stale })
}

/// At most this many exchanges per statement (13 parameters each, far below SQLite's limit).
const MOST_AT_ONCE: usize = 64;
const PARAMETERS_PER_ROW: usize = 13;

/// What one exchange writes, with the conditions it is written under.
pub struct ExchangeRow {
    pub grant: Grant,
    pub access_token_hash: String,
    pub access_expires_at: i64,
    /// The hash of the code: unique among the stored tokens (single use).
    pub code_hash: String,
    /// The registration the request authenticated against: the client's id, when it was
    /// registered (as the code says) and its secret's hash (`""` for a public client).
    pub client_id: String,
    pub client_registered_at: i64,
    pub client_secret_hash: String,
    /// The account's session epoch and `sub`, as the code says.
    pub session_epoch: i64,
    pub subject: String,
    /// With `offline_access`: the refresh token's hash and when it expires.
    pub refresh: Option<(String, i64)>,
}

/// For each row, the key that signs now if the row was inserted; `None` if it was not.
async fn write(conn: &mut AnyConnection, rows: &[ExchangeRow]) -> Result<Vec<Option<String>>, AuthError> {
    let values: Vec<String> = (0..rows.len())
        .map(|row| {
            let first = row * PARAMETERS_PER_ROW + 1;
            let parameters: Vec<String> = (first..first + PARAMETERS_PER_ROW).map(|n| format!("${n}")).collect();
            format!("({})", parameters.join(", "))
        })
        .collect();
    // On PostgreSQL the statement reads the account's epoch from its snapshot: a revocation that
    // raises the epoch and commits while the statement runs would not be seen, and its deletion of
    // the account's tokens, begun before this insert committed, would not see the new token. The
    // share lock on the account's row orders the two: the statement waits for a revocation under
    // way (and then finds the new epoch), or the revocation waits for the statement (and then
    // finds its token). SQLite has one writer at a time: the order is given.
    let lock_account = if conn.backend_name() == "PostgreSQL" { "FOR SHARE OF u" } else { "" };
    let sql = format!(
        "INSERT INTO oidc_tokens (token_hash, kind, grant_id, client_id, user_id, scope, auth_time, amr, expires_at, from_code)
         SELECT v.column1, 'access', v.column2, c.client_id, u.id, v.column3, v.column4, v.column5, v.column6, v.column7
         FROM (VALUES {}) AS v, oidc_clients c, users u
         WHERE c.client_id = v.column8 AND c.created_at = v.column9 AND COALESCE(c.secret_hash, '') = v.column10
           AND u.id = v.column11 AND u.session_epoch = v.column12 AND u.oidc_subject = v.column13
         {lock_account}
         ON CONFLICT (from_code) DO NOTHING
         RETURNING token_hash, {CURRENT_KID} AS signing_kid",
        values.join(", ")
    );
    let mut insert = sqlx::query(&sql);
    for row in rows {
        insert = insert
            .bind(&row.access_token_hash)
            .bind(&row.grant.grant_id)
            .bind(&row.grant.scope)
            .bind(row.grant.auth_time)
            .bind(&row.grant.amr)
            .bind(row.access_expires_at)
            .bind(&row.code_hash)
            .bind(&row.client_id)
            .bind(row.client_registered_at)
            .bind(&row.client_secret_hash)
            .bind(row.grant.user_id)
            .bind(row.session_epoch)
            .bind(&row.subject);
    }
    // Refresh tokens go in the same transaction as the access tokens they come with: a
    // revocation that follows an access token's row finds its refresh token too.
    if rows.iter().all(|row| row.refresh.is_none()) {
        return signing_kids(rows, &insert.fetch_all(&mut *conn).await?);
    }
    let mut tx = conn.begin().await?;
    let kids = signing_kids(rows, &insert.fetch_all(&mut *tx).await?)?;
    for (row, kid) in rows.iter().zip(&kids) {
        if let (Some((refresh_hash, expires_at)), Some(_)) = (&row.refresh, kid) {
            grants::store_token_hash(&mut *tx, refresh_hash, TokenKind::Refresh, &row.grant, *expires_at).await?;
        }
    }
    tx.commit().await?;
    Ok(kids)
}

/// Which rows went in (found by their access token's hash), with the key that signs now.
fn signing_kids(rows: &[ExchangeRow], returned: &[AnyRow]) -> Result<Vec<Option<String>>, AuthError> {
    let mut kids = vec![None; rows.len()];
    for returned in returned {
        let token_hash: String = returned.try_get("token_hash")?;
        let kid: Option<String> = returned.try_get("signing_kid")?;
        let kid = kid.ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("there is no signing key")))?;
        if let Some(index) = rows.iter().position(|row| row.access_token_hash == token_hash) {
            kids[index] = Some(kid);
        }
    }
    Ok(kids)
}

struct Pending {
    row: ExchangeRow,
    answer: oneshot::Sender<Result<Option<String>, AuthError>>,
}

/// The one task that writes the exchanges (SQLite).
#[derive(Clone)]
pub struct ExchangeWriter {
    queue: mpsc::UnboundedSender<Pending>,
}

impl ExchangeWriter {
    /// Starts the task (on the current Tokio runtime); it ends when every handle is dropped.
    pub fn start(db: AnyPool) -> Self {
        let (queue, mut arrivals) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            // One connection, kept: its page cache stays warm (no other connection's write
            // invalidates it), and no batch waits to acquire one.
            let mut connection: Option<PoolConnection<Any>> = None;
            while let Some(first) = arrivals.recv().await {
                let mut batch = vec![first];
                while batch.len() < MOST_AT_ONCE {
                    match arrivals.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (rows, answers): (Vec<_>, Vec<_>) = batch.into_iter().map(|p| (p.row, p.answer)).unzip();
                match write_with(&db, &mut connection, &rows).await {
                    Ok(kids) => answers.into_iter().zip(kids).for_each(|(answer, kid)| drop(answer.send(Ok(kid)))),
                    Err(e) => {
                        // The connection may be what failed: the next batch takes another.
                        connection = None;
                        let message = e.to_string();
                        for answer in answers {
                            let _ = answer.send(Err(AuthError::Unexpected(anyhow::anyhow!("{message}"))));
                        }
                    }
                }
            }
        });
        Self { queue }
    }
}

/// Writes `row`: through `writer` when there is one, else by itself. The key that signs now if it
/// was inserted.
/// `write` on the writer's own connection, taken from the pool when it has none.
async fn write_with(
    db: &AnyPool,
    connection: &mut Option<PoolConnection<Any>>,
    rows: &[ExchangeRow],
) -> Result<Vec<Option<String>>, AuthError> {
    let conn = match connection {
        Some(conn) => conn,
        None => connection.insert(db.acquire().await?),
    };
    write(conn, rows).await
}

pub async fn write_one(
    db: &AnyPool,
    writer: Option<&ExchangeWriter>,
    row: ExchangeRow,
) -> Result<Option<String>, AuthError> {
    let Some(writer) = writer else {
        return Ok(write(&mut *db.acquire().await?, std::slice::from_ref(&row)).await?.pop().flatten());
    };
    let (answer, answered) = oneshot::channel();
    writer
        .queue
        .send(Pending { row, answer })
        .map_err(|_| AuthError::Unexpected(anyhow::anyhow!("the exchange writer has stopped")))?;
    answered.await.map_err(|_| AuthError::Unexpected(anyhow::anyhow!("the exchange writer has stopped")))?
}
