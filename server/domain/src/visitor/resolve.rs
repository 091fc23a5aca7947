//! Resolving the visitor from a session, and what needs the services: the time (is the sign-in
//! recent?) and the account's credentials.

use super::{Factors, SignedIn, Visitor};
use crate::{
    error::AuthError,
    flows::session::{self, SessionData, SignInRecord},
    services::Services,
    storage::accounts::{self, Account},
};

impl Visitor {
    /// The visitor of `session`, resolved once per request (the session remembers it).
    pub async fn of(services: &Services, session: &impl SessionData) -> Result<Visitor, AuthError> {
        if let Some(known) = session.remembered_visitor() {
            return Ok(known);
        }
        let visitor = resolve(services, session).await?;
        session.remember_visitor(&visitor);
        Ok(visitor)
    }

    /// The completed sign-in, for a sensitive change: only within the re-authentication window
    /// (`ReauthenticationRequired` after it).
    pub fn recently_signed_in(&self, services: &Services) -> Result<&SignedIn, AuthError> {
        let signed_in = self.signed_in()?;
        if !signed_in.is_recent(services) {
            return Err(AuthError::ReauthenticationRequired);
        }
        Ok(signed_in)
    }

    /// The signed-in account, with its credentials, for anything that needs both factors.
    pub async fn account(&self, services: &Services) -> Result<Account, AuthError> {
        self.signed_in()?.account(services).await
    }

    /// The signed-in account, for a sensitive change.
    pub async fn recent_account(&self, services: &Services) -> Result<Account, AuthError> {
        self.recently_signed_in(services)?.account(services).await
    }

    /// The account whose second factor this session awaits: after its password step, or, for a
    /// session already signed in, after the password step of a fresh sign-in an app asked for.
    pub async fn awaiting_second_factor(
        &self,
        services: &Services,
        session: &impl SessionData,
    ) -> Result<Account, AuthError> {
        let (user_id, epoch) = match self {
            Visitor::Pending { user_id, identity } => (*user_id, identity.session_epoch),
            Visitor::SignedIn(signed_in) if session::fresh_second_factor_due(session, services.now()).await? => {
                (signed_in.user_id, signed_in.identity.session_epoch)
            }
            _ => return Err(AuthError::NoPendingSignIn),
        };
        match account_at_epoch(services, user_id, epoch).await? {
            Some(account) if account.two_factor_on() => Ok(account),
            _ => Err(AuthError::NoPendingSignIn),
        }
    }
}

impl SignedIn {
    /// Whether sensitive changes are allowed now: within the re-authentication window (10
    /// minutes by default) of a full sign-in or re-authentication (ASVS 3.7.1).
    pub fn is_recent(&self, services: &Services) -> bool {
        services.now() - self.authenticated_at <= services.settings.reauthentication_window_seconds
    }

    /// The account with its credentials (one database read, and a key decrypted), while it is
    /// still at this sign-in's epoch.
    pub async fn account(&self, services: &Services) -> Result<Account, AuthError> {
        account_at_epoch(services, self.user_id, self.identity.session_epoch).await?.ok_or(AuthError::NotSignedIn)
    }
}

async fn account_at_epoch(services: &Services, user_id: i64, epoch: i64) -> Result<Option<Account>, AuthError> {
    let account = accounts::find_by_id(&services.db, &services.secret_box, user_id).await?;
    Ok(account.filter(|account| account.session_epoch == epoch && !account.disabled))
}

async fn resolve(services: &Services, session: &impl SessionData) -> Result<Visitor, AuthError> {
    let (user_id, epoch, since, pending) = match session.sign_in_record().await? {
        None => return Ok(Visitor::Anonymous),
        Some(SignInRecord::PendingSecondFactor { since, .. })
            if session::pending_has_expired(since, services.now()) =>
        {
            return Ok(Visitor::PendingExpired)
        }
        Some(SignInRecord::PendingSecondFactor { user_id, since, epoch }) => (user_id, epoch, since, true),
        Some(SignInRecord::SignedIn { user_id, since, epoch }) => (user_id, epoch, since, false),
    };
    let identity = services.identities.get(&services.db, user_id).await?;
    let Some(identity) = identity.filter(|identity| identity.session_epoch == epoch && !identity.disabled) else {
        session.end().await?;
        return Ok(Visitor::Anonymous);
    };
    if pending {
        return Ok(Visitor::Pending { user_id, identity });
    }
    // The markers are set only after the sign-in they describe completes, and `renew` (every
    // new sign-in) clears them: a session carries the factors of its own last sign-in only.
    let factors = match (identity.two_factor, session.signed_in_with_key().await?) {
        // A passkey is a key: an account with one has a second factor.
        (true, _) if session.signed_in_with_passkey().await? => Factors::Passkey,
        (false, _) => Factors::Password,
        (true, true) => Factors::PasswordAndKey,
        (true, false) if session.signed_in_on_remembered_device().await? => Factors::PasswordOnRememberedDevice,
        (true, false) => Factors::PasswordAndCode,
    };
    Ok(Visitor::SignedIn(SignedIn { user_id, identity, authenticated_at: since, factors }))
}
