//! Who the visitor is, checked against the account: a session of a deleted account, or one
//! ended from elsewhere ("sign out everywhere", a change to 2FA), is signed out here.

use super::session::{self, SessionData, Stage};
use crate::{
    access_rules::Subject,
    error::AuthError,
    services::Services,
    storage::{
        accounts::{self, Account},
        identities::Identity,
    },
};
use std::sync::Arc;

/// Who the account is to the access rules: its name and groups, as the forward-auth gate sees
/// them (the portal must send a visitor where the gate will let them through).
pub async fn rules_subject(services: &Services, user_id: i64) -> Result<Subject, AuthError> {
    let identity = services.identities.get(&services.db, user_id).await?;
    Ok(identity.map_or_else(Subject::default, |identity| Subject {
        username: Some(identity.username.clone()),
        groups: identity.groups.clone(),
    }))
}

/// Where the visitor stands, and their account when the session names a live one.
pub async fn current_stage(
    services: &Services,
    session: &impl SessionData,
) -> Result<(Stage, Option<Account>), AuthError> {
    let stage = session::stage(session, services.now()).await?;
    let (user_id, epoch) = match stage {
        Stage::SignedIn { user_id, epoch, .. } | Stage::PendingSecondFactor { user_id, epoch } => (user_id, epoch),
        Stage::Anonymous | Stage::PendingExpired => return Ok((stage, None)),
    };
    match accounts::find_by_id(&services.db, &services.secret_box, user_id).await? {
        Some(account) if account.session_epoch == epoch => Ok((stage, Some(account))),
        _ => {
            session.end().await?;
            Ok((Stage::Anonymous, None))
        }
    }
}

/// A fully signed-in session (both factors, where 2FA is on), and when it last proved them.
pub struct SignedIn {
    pub account: Account,
    pub authenticated_at: i64,
}

impl SignedIn {
    /// Whether sensitive changes are allowed now: within the re-authentication window (10
    /// minutes by default) of a full sign-in or re-authentication (ASVS 3.7.1).
    pub fn is_recent(&self, services: &Services) -> bool {
        services.now() - self.authenticated_at <= services.settings.reauthentication_window_seconds
    }
}

pub async fn signed_in(services: &Services, session: &impl SessionData) -> Result<SignedIn, AuthError> {
    match current_stage(services, session).await? {
        (Stage::SignedIn { authenticated_at, .. }, Some(account)) => Ok(SignedIn { account, authenticated_at }),
        _ => Err(AuthError::NotSignedIn),
    }
}

/// The signed-in account, for anything that needs both factors.
pub async fn signed_in_account(services: &Services, session: &impl SessionData) -> Result<Account, AuthError> {
    Ok(signed_in(services, session).await?.account)
}

/// The signed-in account, for a sensitive change: only within the re-authentication window.
pub async fn recently_signed_in_account(services: &Services, session: &impl SessionData) -> Result<Account, AuthError> {
    let signed_in = signed_in(services, session).await?;
    if !signed_in.is_recent(services) {
        return Err(AuthError::ReauthenticationRequired);
    }
    Ok(signed_in.account)
}

/// The account waiting for its second factor (a session that passed the password step).
pub async fn pending_account(services: &Services, session: &impl SessionData) -> Result<Account, AuthError> {
    match current_stage(services, session).await? {
        (Stage::PendingSecondFactor { .. }, Some(account)) if account.two_factor_on() => Ok(account),
        (Stage::SignedIn { .. }, Some(account))
            if account.two_factor_on() && session::fresh_second_factor_due(session, services.now()).await? =>
        {
            Ok(account)
        }
        _ => Err(AuthError::NoPendingSignIn),
    }
}

/// The identity of a session that says it is fully signed in, and when it last proved both
/// factors; `None` when it is not, or when the account has moved past its epoch. Read-only (the
/// forward-auth gate and the kept account page ask on every request; `signed_in_identity` also
/// ends a session found stale).
pub async fn live_identity(
    services: &Services,
    session: &impl SessionData,
) -> Result<Option<(Arc<Identity>, i64)>, AuthError> {
    let Stage::SignedIn { user_id, epoch, authenticated_at } = session::stage(session, services.now()).await? else {
        return Ok(None);
    };
    Ok(identity_at_epoch(services, user_id, epoch).await?.map(|identity| (identity, authenticated_at)))
}

/// The account's identity while a session's epoch is still the account's (`None` once the
/// account moved past it, or is gone): the one check every signed-in read makes.
pub async fn identity_at_epoch(
    services: &Services,
    user_id: i64,
    epoch: i64,
) -> Result<Option<Arc<Identity>>, AuthError> {
    let identity = services.identities.get(&services.db, user_id).await?;
    Ok(identity.filter(|identity| identity.session_epoch == epoch))
}

/// Who a fully signed-in session belongs to: the check `/api/me` and every page's header make.
/// Lighter than `signed_in` (no key decrypted), and kept in memory on SQLite
/// (`storage::identities`). A session whose epoch the account has moved past is signed out.
pub async fn signed_in_identity(services: &Services, session: &impl SessionData) -> Result<Arc<Identity>, AuthError> {
    let Stage::SignedIn { user_id, epoch, .. } = session::stage(session, services.now()).await? else {
        return Err(AuthError::NotSignedIn);
    };
    match identity_at_epoch(services, user_id, epoch).await? {
        Some(identity) => Ok(identity),
        None => {
            session.end().await?;
            Err(AuthError::NotSignedIn)
        }
    }
}
