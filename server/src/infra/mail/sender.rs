//! The sender task: delivers what waits in the outbox (`domain::storage::outbox`), oldest first,
//! each message after claiming it, with retries and backoff. It wakes when a message is queued
//! (`Services::mail_queued`), and every `POLL` (messages other instances queued, retries due).
//! Its first pass after a start tries every waiting message at once, whatever its schedule:
//! mail that waited while the server was down goes first.

use super::mailer::Mailer;
use app::server::state::AppState;
use domain::storage::outbox;
use std::time::Duration;

/// How often the outbox is looked at without being woken.
const POLL: Duration = Duration::from_secs(5);
/// Messages taken per look.
const BATCH: i64 = 20;
/// Delivered and given-up rows are kept this long (for the record), then deleted.
const KEEP_FINISHED_SECONDS: i64 = 7 * 24 * 3600;
/// How often they are looked for.
const CLEAN_EVERY_SECONDS: i64 = 3600;

/// Starts the task. `sole_sender`: this process is the only one on the database (SQLite): the
/// claims a killed process left are dropped first.
pub fn start(state: AppState, mailer: Mailer, sole_sender: bool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if sole_sender {
            if let Err(e) = outbox::release_claims(&state.db).await {
                tracing::warn!(error = %e, "could not release the outbox's old claims");
            }
        }
        tracing::info!(smtp = mailer.target(), "mail sender started");
        let mut first_pass = true;
        let mut cleaned_at: Option<i64> = None;
        loop {
            let now = state.now();
            if cleaned_at.is_none_or(|at| now - at > CLEAN_EVERY_SECONDS) {
                cleaned_at = Some(now);
                if let Err(e) = outbox::delete_finished(&state.db, now - KEEP_FINISHED_SECONDS).await {
                    tracing::warn!(error = %e, "could not delete old outbox rows");
                }
            }
            let full = match deliver_due(&state, &mailer, first_pass).await {
                Ok(full) => full,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the outbox");
                    false
                }
            };
            first_pass = false;
            if full {
                continue;
            }
            tokio::select! {
                () = state.outbox_waker.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// One look at the outbox; `true` when it held a full batch (look again at once).
async fn deliver_due(state: &AppState, mailer: &Mailer, ignore_schedule: bool) -> Result<bool, sqlx::Error> {
    let ids = outbox::due(&state.db, state.now(), BATCH, ignore_schedule).await?;
    for &id in &ids {
        let Some(waiting) = outbox::claim(&state.db, &state.secret_box, id, state.now()).await? else { continue };
        match mailer.send(&waiting.message_id, &waiting.mail).await {
            Ok(answer) => {
                outbox::delivered(&state.db, id, state.now()).await?;
                metrics::counter!("mail_sent_total", "outcome" => "delivered").increment(1);
                tracing::info!(outbox_id = id, message_id = %waiting.message_id, answer, "mail delivered");
            }
            Err(not_sent) => {
                outbox::failed(&state.db, id, waiting.attempts, not_sent.permanent, &not_sent.reason, state.now())
                    .await?;
                metrics::counter!("mail_sent_total", "outcome" => "failed").increment(1);
                tracing::warn!(
                    outbox_id = id,
                    attempt = waiting.attempts + 1,
                    permanent = not_sent.permanent,
                    reason = %not_sent.reason,
                    "mail not delivered"
                );
            }
        }
    }
    if let Ok(waiting) = outbox::waiting(&state.db).await {
        metrics::gauge!("mail_outbox_waiting").set(waiting as f64);
    }
    Ok(ids.len() as i64 == BATCH)
}
