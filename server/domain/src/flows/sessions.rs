//! Signing out; the account's sessions, as its owner sees and ends them ("Your sessions"); and
//! what an administrator does with another account's sessions (listing them, ending them all).

use super::{account_change, session::SessionData};
use crate::{
    error::AuthError,
    input,
    services::Services,
    storage::{accounts, security_log::Event, sessions},
    user_agent,
    visitor::Visitor,
};
use std::{future::Future, pin::Pin};

/// The most sessions a list shows (the most recently used).
pub const LISTED_AT_MOST: i64 = 50;

/// A signed-in session, as its owner (or an administrator) sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    /// What "End" sends back: it names this session only among its own account's sessions, and
    /// opens nothing (`storage::sessions::handle_of`).
    pub handle: String,
    /// "Chrome on Linux" (`user_agent::describe`), from the browser of its last sign-in.
    pub browser: String,
    /// The address of its last sign-in.
    pub client_address: Option<String>,
    pub signed_in_at: i64,
    /// At most a minute old while the session is in use (the store writes once a minute).
    pub last_used_at: i64,
    /// The session asking for the list.
    pub this_session: bool,
}

/// The store that keeps every session, as one session's owner reaches another: ending it by the
/// key it is stored under. The store deletes it for good, including any copy it keeps in memory
/// (so that no request in flight brings it back), and signs it out at once.
pub trait StoredSessions: Send + Sync {
    fn end_stored<'a>(&'a self, key: &'a str) -> Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send + 'a>>;
}

/// Ends this session (deleted from the store, cookie cleared).
pub async fn sign_out(session: &impl SessionData) -> Result<(), AuthError> {
    session.end().await
}

/// Ends every other session of the account; this one stays signed in. Needs a recent sign-in.
/// The epoch is raised only if it is still this session's own, so of two sessions ending each
/// other at the same moment exactly one wins and the other is signed out.
pub async fn sign_out_other_sessions(services: &Services, session: &impl SessionData) -> Result<(), AuthError> {
    let account = Visitor::of(services, session).await?.recent_account(services).await?;
    let raised =
        accounts::raise_session_epoch(&services.db, &services.access_tokens, account.id, account.session_epoch).await?;
    account_change::finish(services, session, &account, raised, Event::OtherSessionsEnded, AuthError::NotSignedIn).await
}

/// The signed-in sessions of the visitor's account ("Your sessions"): this one first, marked,
/// then the most recently used; at most `LISTED_AT_MOST`.
pub async fn your_sessions(services: &Services, session: &impl SessionData) -> Result<Vec<SessionSummary>, AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let signed_in = visitor.signed_in()?;
    let this_session = session.stored_key();
    listed(services, signed_in.user_id, signed_in.identity.session_epoch, this_session.as_deref()).await
}

/// The signed-in sessions of any account, for an administrator: those `your_sessions` would
/// list for it (none is "this session"). Empty for an account that does not exist.
pub async fn sessions_of(services: &Services, account_id: i64) -> Result<Vec<SessionSummary>, AuthError> {
    let Some(identity) = services.identities.get(&services.db, account_id).await? else { return Ok(Vec::new()) };
    listed(services, account_id, identity.session_epoch, None).await
}

/// Listed: signed in with every factor, at the account's current epoch (an older one was ended
/// from elsewhere), not expired.
async fn listed(
    services: &Services,
    account_id: i64,
    epoch: i64,
    this_session: Option<&str>,
) -> Result<Vec<SessionSummary>, AuthError> {
    let stored =
        sessions::signed_in(&services.db, account_id, epoch, services.now(), this_session, LISTED_AT_MOST).await?;
    Ok(stored
        .into_iter()
        .map(|s| SessionSummary {
            handle: sessions::handle_of(&s.key),
            browser: user_agent::describe(s.user_agent.as_deref()),
            this_session: this_session == Some(s.key.as_str()),
            client_address: s.client_address,
            signed_in_at: s.signed_in_at,
            last_used_at: s.last_used_at,
        })
        .collect())
}

/// Ends one other session of the visitor's account ("End"), named by its `handle`. Needs a
/// recent sign-in, as ending every other session does (a stale session must not throw the owner
/// out). A handle that names none of the account's other signed-in sessions — ended already,
/// this very session (signing out is for that), or another account's — is `NoSuchSession`, the
/// same answer whatever the reason.
pub async fn end_session(
    services: &Services,
    session: &impl SessionData,
    store: &dyn StoredSessions,
    handle: Option<String>,
) -> Result<(), AuthError> {
    let visitor = Visitor::of(services, session).await?;
    let signed_in = visitor.recently_signed_in(services)?;
    let handle = input::session_handle(handle)?;
    let (account_id, epoch) = (signed_in.user_id, signed_in.identity.session_epoch);
    let found = sessions::by_handle(&services.db, account_id, epoch, services.now(), &handle).await?;
    let this_session = session.stored_key();
    let Some(other) = found.filter(|found| Some(&found.key) != this_session.as_ref()) else {
        return Err(AuthError::NoSuchSession);
    };
    store.end_stored(&other.key).await?;
    let browser = user_agent::describe(other.user_agent.as_deref());
    services.log_key(account_id, Event::SessionEnded, &browser, session.client_address()).await;
    Ok(())
}

/// Ends every session of an account, whoever asks (an administrator): its session epoch is
/// raised unconditionally, so every session signed in before is signed out on its next request,
/// and every token apps hold for it is revoked. Logged in the account's security log with the
/// asker's `client_address`. `false` when there is no such account.
pub async fn end_all_sessions(
    services: &Services,
    account_id: i64,
    client_address: Option<&str>,
) -> Result<bool, AuthError> {
    let raised = accounts::end_every_session(&services.db, &services.access_tokens, account_id).await?;
    services.identities.forget(account_id);
    if raised.is_none() {
        return Ok(false);
    }
    services.log(account_id, Event::EverySessionEnded, client_address).await;
    Ok(true)
}
