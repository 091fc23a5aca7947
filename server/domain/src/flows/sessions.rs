//! Signing out, and ending every other session of the account.

use super::{account_change, session::SessionData};
use crate::{
    error::AuthError,
    services::Services,
    storage::{accounts, security_log::Event},
    visitor::Visitor,
};

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
