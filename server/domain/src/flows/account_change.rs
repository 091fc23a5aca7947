//! How a change that ends the account's other sessions finishes. Each such change (2FA on or
//! off, new recovery codes, "end every other session") is conditional on the calling session's
//! own epoch, so of two sessions racing, exactly one wins.

use super::session::{self, SessionData};
use crate::{
    error::AuthError,
    services::Services,
    storage::{accounts::Account, security_log::Event},
};

/// Finishes a change whose conditional statement answered `raised` (the account's new epoch, or
/// `None` when it did not happen): the cached identity is forgotten, this session adopts the
/// new epoch (it stays signed in while every other one ends) and the event is logged. A change
/// that did not happen is a lost race, answered with `otherwise` or a sign-out.
pub async fn finish(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
    raised: Option<i64>,
    event: Event,
    otherwise: AuthError,
) -> Result<(), AuthError> {
    services.identities.forget(account.id);
    let Some(epoch) = raised else { return Err(lost_race(services, session, account, otherwise).await) };
    session::adopt_epoch(session, epoch).await?;
    services.log_by(account.id, event, None, session.requester()).await;
    Ok(())
}

/// A change conditional on this session's epoch did not happen. Either another session raised
/// the epoch first — this one is over: it is signed out, whatever it asked — or the account was
/// no longer in the state the change needs (`otherwise`).
pub async fn lost_race(
    services: &Services,
    session: &impl SessionData,
    account: &Account,
    otherwise: AuthError,
) -> AuthError {
    match services.identities.get(&services.db, account.id).await {
        Ok(Some(now)) if now.session_epoch == account.session_epoch => otherwise,
        Ok(_) => match session.end().await {
            Ok(()) => AuthError::NotSignedIn,
            Err(e) => e,
        },
        Err(e) => e.into(),
    }
}
