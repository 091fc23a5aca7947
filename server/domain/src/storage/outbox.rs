//! The outbox: every message waits here until it is delivered. A message is written in the same
//! transaction as the event that causes it, so the event and its mail are kept together or not
//! at all; the sender task (`server::infra::mail`) delivers it afterwards, and a server killed in
//! between delivers it after its restart.
//!
//! Invariants:
//! - a row is one message, and its `message_id` (the `Message-ID` header) is the same on every
//!   attempt: a message is never composed twice;
//! - a sender delivers a row only after claiming it (`claim`, one conditional statement): of
//!   several senders (instances on one PostgreSQL), one holds a row at a time, for `CLAIM_SECONDS`;
//! - a delivered row is marked sent and its sealed text emptied: it is never tried again.
//!
//! Exactly once holds except in one window no SMTP client can close: the server dying after the
//! SMTP server accepted a message and before the row is marked sent. Then the message goes again,
//! with the same `Message-ID`.

use crate::{
    credentials::secret_box::{self, SecretBox},
    mail::{MailIdentity, Outgoing},
};
use sqlx::{AnyConnection, AnyPool, Row};

/// The associated data the sealed text is bound to (with the row's message id).
const CONTEXT: &str = "outbox";
/// How long a sender holds a row it claimed: longer than one SMTP attempt (its timeout is 10 s).
pub const CLAIM_SECONDS: i64 = 60;
/// Attempts before a message is given up: with `retry_delay`, about two days of trying.
pub const MAX_ATTEMPTS: i64 = 20;

/// The wait after the `attempts`-th failure: 5 s, doubling, at most an hour.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    (5_i64 << doublings.min(10)).min(3600)
}

/// What queuing a message needs: the key that seals messages in the outbox, and where mail comes
/// from — `Services::outbox` for the server, or built by an operator's command run beside it
/// (whose messages the server's sender delivers). There is none while mail is off.
#[derive(Clone, Copy)]
pub struct Outbox<'a> {
    pub secret_box: &'a SecretBox,
    pub identity: &'a MailIdentity,
}

impl Outbox<'_> {
    /// Queues a message on the caller's connection (in its transaction).
    pub async fn queue(&self, conn: &mut AnyConnection, mail: &Outgoing, now: i64) -> Result<(), sqlx::Error> {
        enqueue(conn, self.secret_box, mail, &self.identity.domain, now).await.map(drop)
    }
}

/// A message taken from the outbox to be delivered.
pub struct Waiting {
    pub id: i64,
    pub message_id: String,
    pub attempts: i64,
    pub mail: Outgoing,
}

/// Adds a message, on the connection of the caller's transaction. `domain`: the right-hand side
/// of the message id (the sender address's domain).
pub async fn enqueue(
    conn: &mut AnyConnection,
    secret_box: &SecretBox,
    mail: &Outgoing,
    domain: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let message_id = format!("<{}@{}>", secret_box::random_hex(16), domain);
    let text = format!("{}\n{}", mail.subject, mail.body);
    let sealed = secret_box
        .seal(text.as_bytes(), &context(&message_id))
        .map_err(|_| sqlx::Error::Protocol("cannot seal a message for the outbox".into()))?;
    sqlx::query(
        "INSERT INTO outbox (message_id, recipient, sealed, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&message_id)
    .bind(&mail.to)
    .bind(secret_box::to_hex(&sealed))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(message_id)
}

fn context(message_id: &str) -> String {
    format!("{CONTEXT}:{message_id}")
}

/// The ids of the messages due for an attempt at `now` (oldest first), `limit` at most.
/// `ignore_schedule`: every waiting message, whatever its next attempt (the first pass after a
/// start: a message that waited while the server was down goes at once).
pub async fn due(db: &AnyPool, now: i64, limit: i64, ignore_schedule: bool) -> Result<Vec<i64>, sqlx::Error> {
    let until = if ignore_schedule { i64::MAX } else { now };
    sqlx::query_scalar(
        "SELECT id FROM outbox
         WHERE sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $1
           AND (claimed_until IS NULL OR claimed_until < $2)
         ORDER BY id LIMIT $3",
    )
    .bind(until)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Claims a message for one attempt: `None` when another sender holds it or it is no longer
/// waiting. The text is opened here; a row that cannot be opened (the key changed) is given up.
pub async fn claim(db: &AnyPool, secret_box: &SecretBox, id: i64, now: i64) -> Result<Option<Waiting>, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE outbox SET claimed_until = $1
         WHERE id = $2 AND sent_at IS NULL AND given_up_at IS NULL AND (claimed_until IS NULL OR claimed_until < $3)",
    )
    .bind(now + CLAIM_SECONDS)
    .bind(id)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT message_id, recipient, sealed, attempts FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?;
    let message_id: String = row.try_get("message_id")?;
    let opened = secret_box::from_hex(&row.try_get::<String, _>("sealed")?)
        .and_then(|sealed| secret_box.open(&sealed, &context(&message_id)).ok())
        .and_then(|plain| String::from_utf8(plain).ok());
    let Some(text) = opened else {
        give_up(db, id, now, "the message cannot be opened with this server's key").await?;
        return Ok(None);
    };
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    Ok(Some(Waiting {
        id,
        message_id,
        attempts: row.try_get("attempts")?,
        mail: Outgoing { to: row.try_get("recipient")?, subject: subject.to_owned(), body: body.to_owned() },
    }))
}

/// The message was accepted by the SMTP server: never tried again, and its text is dropped.
pub async fn delivered(db: &AnyPool, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, sealed = '', claimed_until = NULL, attempts = attempts + 1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(db)
    .await
    .map(drop)
}

/// An attempt failed: the next one after `retry_delay`, or none after `MAX_ATTEMPTS` (or when the
/// SMTP server refused the message for good).
pub async fn failed(
    db: &AnyPool,
    id: i64,
    attempts_before: i64,
    permanent: bool,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let attempts = attempts_before + 1;
    if permanent || attempts >= MAX_ATTEMPTS {
        sqlx::query("UPDATE outbox SET attempts = $1, last_error = $2, claimed_until = NULL WHERE id = $3")
            .bind(attempts)
            .bind(error)
            .bind(id)
            .execute(db)
            .await?;
        return give_up(db, id, now, error).await;
    }
    sqlx::query(
        "UPDATE outbox SET attempts = $1, last_error = $2, claimed_until = NULL, next_attempt_at = $3 WHERE id = $4",
    )
    .bind(attempts)
    .bind(error)
    .bind(now + retry_delay(attempts))
    .bind(id)
    .execute(db)
    .await
    .map(drop)
}

async fn give_up(db: &AnyPool, id: i64, now: i64, error: &str) -> Result<(), sqlx::Error> {
    tracing::error!(outbox_id = id, error, "a message is given up: it will not be sent");
    sqlx::query("UPDATE outbox SET given_up_at = $1, sealed = '', claimed_until = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Drops every claim: only where this process is the one sender (SQLite), at its start — a claim
/// left by a process that was killed would otherwise hold its message for `CLAIM_SECONDS`.
pub async fn release_claims(db: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET claimed_until = NULL WHERE claimed_until IS NOT NULL AND sent_at IS NULL")
        .execute(db)
        .await
        .map(drop)
}

/// How many messages wait for delivery (for the metrics and `server mail status`).
pub async fn waiting(db: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND given_up_at IS NULL").fetch_one(db).await
}

/// Deletes delivered and given-up rows older than `before` (kept a while for the record).
pub async fn delete_finished(db: &AnyPool, before: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < $1) OR (given_up_at IS NOT NULL AND given_up_at < $1)")
        .bind(before)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_five_seconds_to_an_hour() {
        assert_eq!(retry_delay(1), 5);
        assert_eq!(retry_delay(2), 10);
        assert_eq!(retry_delay(3), 20);
        assert_eq!(retry_delay(10), 2560);
        assert_eq!(retry_delay(11), 3600);
        assert_eq!(retry_delay(MAX_ATTEMPTS), 3600);
    }
}
