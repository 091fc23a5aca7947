//! Where a visitor stands in the sign-in, as their session says — whatever keeps the session.
//! The web layer implements `SessionData` over its session store (`app/src/server/session.rs`);
//! the flows read and move the stage through the functions here.

use crate::{credentials::secret_box, error::AuthError, visitor::Visitor};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A password step waits at most 5 minutes for its second factor.
pub const PENDING_SECOND_FACTOR_SECONDS: i64 = 5 * 60;

/// Whether a password step made at `since` has waited too long for its second factor.
pub fn pending_has_expired(since: i64, now: i64) -> bool {
    now - since >= PENDING_SECOND_FACTOR_SECONDS
}

/// What the session keeps of a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CompactRecord", try_from = "CompactRecord")]
pub enum SignInRecord {
    /// The password was right; the second factor is still missing. Grants nothing else.
    PendingSecondFactor { user_id: i64, since: i64, epoch: i64 },
    /// Signed in; `since` is the last full sign-in or re-authentication.
    SignedIn { user_id: i64, since: i64, epoch: i64 },
}

/// How a `SignInRecord` is kept in the session: `[stage, user_id, since, epoch]`, an array of
/// four numbers, so that the copy a session store may make on every read (every signed-in
/// request reads this one) is a single allocation.
#[derive(Serialize, Deserialize)]
struct CompactRecord(u8, i64, i64, i64);

const PENDING: u8 = 1;
const SIGNED_IN: u8 = 2;

impl From<SignInRecord> for CompactRecord {
    fn from(record: SignInRecord) -> Self {
        match record {
            SignInRecord::PendingSecondFactor { user_id, since, epoch } => Self(PENDING, user_id, since, epoch),
            SignInRecord::SignedIn { user_id, since, epoch } => Self(SIGNED_IN, user_id, since, epoch),
        }
    }
}

impl TryFrom<CompactRecord> for SignInRecord {
    type Error = &'static str;
    fn try_from(CompactRecord(stage, user_id, since, epoch): CompactRecord) -> Result<Self, Self::Error> {
        match stage {
            PENDING => Ok(Self::PendingSecondFactor { user_id, since, epoch }),
            SIGNED_IN => Ok(Self::SignedIn { user_id, since, epoch }),
            _ => Err("unknown sign-in stage"),
        }
    }
}

/// A fresh sign-in an app asked for (OpenID Connect `prompt=login`, or a `max_age` the sign-in
/// had outlived): the session keeps the sign-in it had meanwhile, and `done` turns true when a
/// sign-in completes in this session after the request. Only then is the app given a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshSignIn {
    /// Random: names the app's request, which carries it until the sign-in is done.
    pub id: String,
    pub done: bool,
    /// When the fresh sign-in's password step was done, for the account this session is already
    /// signed in to: the session stays signed in while that step waits for its second factor.
    #[serde(default)]
    pub password_step_at: Option<i64>,
}

/// One visitor's session, as the flows need it. Every method is one read or write of the
/// session; a failure of the store is `AuthError::DatabaseUnavailable`.
pub trait SessionData: Sync {
    fn sign_in_record(&self) -> impl Future<Output = Result<Option<SignInRecord>, AuthError>> + Send;
    fn set_sign_in_record(&self, record: SignInRecord) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// A new session id, and nothing kept from before it (codes waiting to be shown, a setup
    /// token): a session id known before a sign-in (one planted by an attacker, say) is worth
    /// nothing after it.
    fn renew(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// Deletes the session from the store and clears the cookie.
    fn end(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
    fn setup_token(&self) -> impl Future<Output = Result<Option<String>, AuthError>> + Send;
    fn set_setup_token(&self, token: String) -> impl Future<Output = Result<(), AuthError>> + Send;
    fn forget_setup_token(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// Whether this sign-in's second step was a security key (`amr` says `hwk`); `renew` forgets.
    fn signed_in_with_key(&self) -> impl Future<Output = Result<bool, AuthError>> + Send;
    fn mark_signed_in_with_key(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// Whether this sign-in was a passkey alone (`amr` says `hwk user mfa`); `renew` forgets.
    fn signed_in_with_passkey(&self) -> impl Future<Output = Result<bool, AuthError>> + Send;
    fn mark_signed_in_with_passkey(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// Whether this sign-in's password was completed by a remembered device instead of a second
    /// factor (`amr` says `remembered`); `renew` forgets.
    fn signed_in_on_remembered_device(&self) -> impl Future<Output = Result<bool, AuthError>> + Send;
    fn mark_signed_in_on_remembered_device(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// The fresh sign-in an app asked for, if any. Kept by `renew`: it belongs to the sign-in
    /// under way, not to the one before it (and it grants nothing: it only says that a sign-in
    /// completed in this session after the app asked).
    fn fresh_sign_in(&self) -> impl Future<Output = Result<Option<FreshSignIn>, AuthError>> + Send;
    fn set_fresh_sign_in(&self, fresh: Option<FreshSignIn>) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// The client's address, for the security log and per-address limits.
    fn client_address(&self) -> Option<&str>;
    /// The browser's `User-Agent`, as sent (for the notices mailed about this request's events).
    fn user_agent(&self) -> Option<&str> {
        None
    }
    /// Who is asking, as a notice names them.
    fn requester(&self) -> crate::mail::Requester<'_> {
        crate::mail::Requester { address: self.client_address(), user_agent: self.user_agent() }
    }
    /// The key the store keeps this session under (`storage::sessions::stored_key` of its id),
    /// when it has been stored: how the session list knows "This session".
    fn stored_key(&self) -> Option<String> {
        None
    }
    /// The device token the browser showed, unchecked (see `credentials::device_token`).
    fn device_token(&self) -> Option<&str>;
    /// The remembered-device token the browser showed, unchecked (see
    /// `credentials::remembered_device`). A store without one remembers no device.
    fn remembered_device_token(&self) -> Option<&str> {
        None
    }
    /// The visitor this request resolved already (`Visitor::of`), if the session keeps one. A
    /// store that keeps it must forget it on every write of the sign-in (`set_sign_in_record`,
    /// `renew`, `end`, `mark_signed_in_with_key`, `mark_signed_in_on_remembered_device`).
    fn remembered_visitor(&self) -> Option<Visitor> {
        None
    }
    fn remember_visitor(&self, _visitor: &Visitor) {}
}

/// After a right password on an account with 2FA: pending, under a new session id. When an app
/// asked this session for a fresh sign-in and the session is signed in to this same account (at
/// its current epoch), the sign-in it has stays until the second factor completes the fresh one:
/// the password step waits beside it (`FreshSignIn::password_step_at`), and ending the session
/// is never the price of an app's asking.
pub async fn begin_second_factor(
    session: &impl SessionData,
    user_id: i64,
    epoch: i64,
    now: i64,
) -> Result<(), AuthError> {
    let signed_in_here = matches!(
        session.sign_in_record().await?,
        Some(SignInRecord::SignedIn { user_id: signed_in, epoch: at, .. }) if signed_in == user_id && at == epoch
    );
    let asked = session.fresh_sign_in().await?.filter(|asked| !asked.done);
    session.renew().await?;
    match asked {
        Some(asked) if signed_in_here => {
            session.set_fresh_sign_in(Some(FreshSignIn { password_step_at: Some(now), ..asked })).await
        }
        _ => session.set_sign_in_record(SignInRecord::PendingSecondFactor { user_id, since: now, epoch }).await,
    }
}

/// Whether a fresh sign-in's password step waits for its second factor in this signed-in
/// session (for at most the 5 minutes a pending sign-in has).
pub async fn fresh_second_factor_due(session: &impl SessionData, now: i64) -> Result<bool, AuthError> {
    Ok(session
        .fresh_sign_in()
        .await?
        .is_some_and(|fresh| !fresh.done && fresh.password_step_at.is_some_and(|at| !pending_has_expired(at, now))))
}

/// Signs the account in, under a new session id. A fresh sign-in an app waits for is done.
pub async fn complete_sign_in(session: &impl SessionData, user_id: i64, epoch: i64, now: i64) -> Result<(), AuthError> {
    session.renew().await?;
    session.set_sign_in_record(SignInRecord::SignedIn { user_id, since: now, epoch }).await?;
    if let Some(asked) = session.fresh_sign_in().await?.filter(|asked| !asked.done) {
        session.set_fresh_sign_in(Some(FreshSignIn { done: true, ..asked })).await?;
    }
    Ok(())
}

/// Asks for a fresh sign-in on behalf of an app's request `id` (`done` once one completes).
pub async fn ask_fresh_sign_in(session: &impl SessionData, id: &str) -> Result<(), AuthError> {
    let asked = FreshSignIn { id: id.to_owned(), done: false, password_step_at: None };
    if session.fresh_sign_in().await?.as_ref().is_some_and(|kept| kept.id == asked.id) {
        return Ok(());
    }
    session.set_fresh_sign_in(Some(asked)).await
}

/// Asks for a fresh sign-in on behalf of an access rule (`max_age` outlived, `factor = "key"`
/// not met). The gate waits for no id: it judges the new sign-in by its time and factors. So
/// every ask is a new one (a fresh sign-in done before never stands in for it), and what it buys
/// is only that the session stays signed in while the password step waits for its second factor.
pub async fn ask_fresh_sign_in_for_rule(session: &impl SessionData) -> Result<(), AuthError> {
    let asked = FreshSignIn { id: format!("rule-{}", secret_box::random_hex(8)), done: false, password_step_at: None };
    session.set_fresh_sign_in(Some(asked)).await
}

/// Whether the fresh sign-in the app's request `id` asked for has completed in this session.
pub async fn fresh_sign_in_done(session: &impl SessionData, id: &str) -> Result<bool, AuthError> {
    Ok(session.fresh_sign_in().await?.is_some_and(|kept| kept.done && kept.id == id))
}

/// A re-authentication (password and code again) restarts the window for sensitive changes;
/// `epoch` is the account's current one (this session survives a change it made itself).
pub async fn refresh(session: &impl SessionData, user_id: i64, epoch: i64, now: i64) -> Result<(), AuthError> {
    session.set_sign_in_record(SignInRecord::SignedIn { user_id, since: now, epoch }).await
}

/// Keeps this session alive after the account's epoch was raised by this very session.
pub async fn adopt_epoch(session: &impl SessionData, epoch: i64) -> Result<(), AuthError> {
    match session.sign_in_record().await? {
        Some(SignInRecord::SignedIn { user_id, since, .. }) => {
            session.set_sign_in_record(SignInRecord::SignedIn { user_id, since, epoch }).await
        }
        _ => Ok(()),
    }
}

/// What binds a 2FA setup to this session: a SHA-256 of a random token kept in this session
/// alone, made on first use. Another session of the account has another token, so it can
/// neither read nor replace this session's setup.
pub async fn setup_binding(session: &impl SessionData) -> Result<String, AuthError> {
    if let Some(binding) = existing_setup_binding(session).await? {
        return Ok(binding);
    }
    let token = secret_box::random_hex(32);
    let binding = binding_of(&token);
    session.set_setup_token(token).await?;
    Ok(binding)
}

/// The binding of the setup this session started, if it started one.
pub async fn existing_setup_binding(session: &impl SessionData) -> Result<Option<String>, AuthError> {
    Ok(session.setup_token().await?.as_deref().map(binding_of))
}

fn binding_of(token: &str) -> String {
    secret_box::sha256_hex(token.as_bytes())
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A session kept in memory, for the domain's own tests.
    #[derive(Default)]
    pub struct MemorySession {
        record: Mutex<Option<SignInRecord>>,
        token: Mutex<Option<String>>,
        with_key: Mutex<bool>,
        on_remembered_device: Mutex<bool>,
        fresh: Mutex<Option<FreshSignIn>>,
        pub renewals: Mutex<u32>,
    }

    impl SessionData for MemorySession {
        async fn sign_in_record(&self) -> Result<Option<SignInRecord>, AuthError> {
            Ok(*self.record.lock().unwrap())
        }
        async fn set_sign_in_record(&self, record: SignInRecord) -> Result<(), AuthError> {
            *self.record.lock().unwrap() = Some(record);
            Ok(())
        }
        async fn renew(&self) -> Result<(), AuthError> {
            *self.renewals.lock().unwrap() += 1;
            *self.token.lock().unwrap() = None;
            *self.with_key.lock().unwrap() = false;
            *self.on_remembered_device.lock().unwrap() = false;
            Ok(())
        }
        async fn signed_in_with_key(&self) -> Result<bool, AuthError> {
            Ok(*self.with_key.lock().unwrap())
        }
        async fn signed_in_with_passkey(&self) -> Result<bool, AuthError> {
            Ok(false)
        }
        async fn mark_signed_in_with_passkey(&self) -> Result<(), AuthError> {
            Ok(())
        }
        async fn mark_signed_in_with_key(&self) -> Result<(), AuthError> {
            *self.with_key.lock().unwrap() = true;
            Ok(())
        }
        async fn signed_in_on_remembered_device(&self) -> Result<bool, AuthError> {
            Ok(*self.on_remembered_device.lock().unwrap())
        }
        async fn mark_signed_in_on_remembered_device(&self) -> Result<(), AuthError> {
            *self.on_remembered_device.lock().unwrap() = true;
            Ok(())
        }
        async fn end(&self) -> Result<(), AuthError> {
            *self.record.lock().unwrap() = None;
            Ok(())
        }
        async fn setup_token(&self) -> Result<Option<String>, AuthError> {
            Ok(self.token.lock().unwrap().clone())
        }
        async fn set_setup_token(&self, token: String) -> Result<(), AuthError> {
            *self.token.lock().unwrap() = Some(token);
            Ok(())
        }
        async fn forget_setup_token(&self) -> Result<(), AuthError> {
            *self.token.lock().unwrap() = None;
            Ok(())
        }
        async fn fresh_sign_in(&self) -> Result<Option<FreshSignIn>, AuthError> {
            Ok(self.fresh.lock().unwrap().clone())
        }
        async fn set_fresh_sign_in(&self, fresh: Option<FreshSignIn>) -> Result<(), AuthError> {
            *self.fresh.lock().unwrap() = fresh;
            Ok(())
        }
        fn client_address(&self) -> Option<&str> {
            None
        }
        fn device_token(&self) -> Option<&str> {
            None
        }
    }

    #[test]
    fn a_pending_sign_in_expires_after_five_minutes() {
        assert!(!pending_has_expired(1_000, 1_000 + PENDING_SECOND_FACTOR_SECONDS - 1));
        assert!(pending_has_expired(1_000, 1_000 + PENDING_SECOND_FACTOR_SECONDS));
    }

    #[test]
    fn a_sign_in_record_is_kept_as_four_numbers_and_read_back() {
        for record in [
            SignInRecord::PendingSecondFactor { user_id: 7, since: 1_700_000_000, epoch: 2 },
            SignInRecord::SignedIn { user_id: 7, since: 1_700_000_001, epoch: 3 },
        ] {
            let value = serde_json::to_value(record).unwrap();
            assert!(value.as_array().is_some_and(|a| a.len() == 4), "{value}");
            assert_eq!(serde_json::from_value::<SignInRecord>(value).unwrap(), record);
        }
        assert!(serde_json::from_value::<SignInRecord>(serde_json::json!([9, 1, 2, 3])).is_err());
    }

    #[tokio::test]
    async fn each_step_up_renews_the_session_id_and_a_pending_sign_in_grants_nothing_else() {
        let s = MemorySession::default();
        begin_second_factor(&s, 7, 0, 1_000).await.unwrap();
        assert!(matches!(
            s.sign_in_record().await.unwrap(),
            Some(SignInRecord::PendingSecondFactor { user_id: 7, .. })
        ));
        complete_sign_in(&s, 7, 0, 1_001).await.unwrap();
        assert!(matches!(s.sign_in_record().await.unwrap(), Some(SignInRecord::SignedIn { user_id: 7, .. })));
        assert_eq!(*s.renewals.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_fresh_password_step_for_another_account_replaces_the_sign_in_as_any_would() {
        let s = MemorySession::default();
        complete_sign_in(&s, 7, 0, 1_000).await.unwrap();
        ask_fresh_sign_in(&s, "r1").await.unwrap();
        begin_second_factor(&s, 8, 0, 1_001).await.unwrap();
        assert!(matches!(
            s.sign_in_record().await.unwrap(),
            Some(SignInRecord::PendingSecondFactor { user_id: 8, epoch: 0, .. })
        ));
        assert!(!fresh_second_factor_due(&s, 1_001).await.unwrap());
    }

    #[tokio::test]
    async fn a_fresh_sign_in_is_done_only_once_a_sign_in_completes_after_it_was_asked_for() {
        let s = MemorySession::default();
        complete_sign_in(&s, 7, 0, 1_000).await.unwrap();
        ask_fresh_sign_in(&s, "r1").await.unwrap();
        assert!(!fresh_sign_in_done(&s, "r1").await.unwrap(), "the sign-in from before does not count");
        assert!(
            matches!(s.sign_in_record().await.unwrap(), Some(SignInRecord::SignedIn { user_id: 7, .. })),
            "and it stays"
        );
        begin_second_factor(&s, 7, 0, 1_002).await.unwrap();
        assert!(!fresh_sign_in_done(&s, "r1").await.unwrap(), "the password step alone does not count");
        assert!(
            matches!(s.sign_in_record().await.unwrap(), Some(SignInRecord::SignedIn { user_id: 7, since: 1_000, .. })),
            "the sign-in from before stays while the code step waits"
        );
        assert!(fresh_second_factor_due(&s, 1_002).await.unwrap());
        assert!(!fresh_second_factor_due(&s, 1_002 + PENDING_SECOND_FACTOR_SECONDS).await.unwrap(), "5 minutes");
        complete_sign_in(&s, 7, 0, 1_003).await.unwrap();
        assert!(fresh_sign_in_done(&s, "r1").await.unwrap());
        assert!(!fresh_sign_in_done(&s, "r2").await.unwrap(), "only for the request that asked");
    }

    #[tokio::test]
    async fn a_setup_binding_belongs_to_its_session_and_ends_with_a_new_sign_in() {
        let (a, b) = (MemorySession::default(), MemorySession::default());
        let first = setup_binding(&a).await.unwrap();
        assert_eq!(setup_binding(&a).await.unwrap(), first, "stable within the session");
        assert_ne!(setup_binding(&b).await.unwrap(), first, "another session has its own");
        complete_sign_in(&a, 7, 0, 1).await.unwrap();
        assert_eq!(existing_setup_binding(&a).await.unwrap(), None);
    }
}
