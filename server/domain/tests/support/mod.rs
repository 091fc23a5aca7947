//! What the domain's table tests share: the `Services` (one function builds them, on a manual
//! clock and an in-memory SQLite), a session kept in memory, the visitors an authorization
//! request is made for, accounts made through the flows, and one-time codes computed by the
//! independent oracle (`otp-oracle`), never by the code under test.
//!
//! Each test binary uses part of this module only.
#![allow(dead_code)]
// `clippy.toml` allows unwrap and expect in `#[test]` functions; these helpers are test code too
// (a failing helper should fail its test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::{
    clock::Clock,
    credentials::{
        recovery_codes::RecoveryCodeKey,
        secret_box::{SecretBox, KEY_BYTES},
    },
    flows::{
        registration,
        session::{self, FreshSignIn, SessionData, SignInRecord},
        sign_in::{self, PasswordOutcome},
        two_factor_setup,
    },
    openid::{
        codes,
        store::{
            clients::{self, ClientPolicy, NewClient},
            exchange_writer::ExchangeWriter,
            keys,
        },
    },
    services::Parts,
    storage::identities::Identity,
    storage::{identities::Identities, outside_changes::OutsideChanges},
    visitor::{Factors, SignedIn, Visitor},
    AuthError, Services, Settings,
};
use sqlx::{any::AnyPoolOptions, AnyPool, Executor, Row};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, Mutex, OnceLock,
};

/// Where the manual clock of every test starts: a few seconds into a 30-second time step.
pub const START: i64 = 1_700_000_010;
/// The one password every test account has.
pub const PASSWORD: &str = "correct horse battery staple";
/// A TOTP time step (the default policy's period).
pub const STEP: i64 = 30;

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

/// The domain's services as the server builds them on SQLite (`server/src/startup.rs`), on
/// `clock` and a database of their own in memory. The one place a test builds `Services`.
pub async fn services(clock: Clock) -> Services {
    let db = memory_database().await;
    let key = *ENCRYPTION_KEY.get_or_init(SecretBox::generate_key);
    let secret_box = SecretBox::new(&key);
    let recovery_codes = RecoveryCodeKey::derive(&key).expect("a recovery-code key");
    let code_sealing = codes::sealing_box(&db, &secret_box).await.expect("the key for OpenID Connect codes");
    let services = Services::new(Parts {
        db: db.clone(),
        secret_box,
        recovery_codes,
        code_sealing,
        settings: Settings::default(),
        clock,
        identities: Identities::cached(Arc::new(outside_changes())),
        exchange_writer: Some(ExchangeWriter::start(db)),
    })
    .expect("the services");
    signing_key(&services).await;
    services
}

/// The TOTP encryption key of this test process (each database is new, the key is the same: as a
/// server keeps its key across restarts).
static ENCRYPTION_KEY: OnceLock<[u8; KEY_BYTES]> = OnceLock::new();

/// The OpenID Connect signing key the server makes on its first start (`keys::ensure_one`).
/// Making an RSA key takes a good part of a second: the first database of the process gets one
/// made so, sealed under `ENCRYPTION_KEY`, and the others a copy of that sealed row.
async fn signing_key(services: &Services) {
    static MADE: tokio::sync::OnceCell<(String, Vec<u8>, i64)> = tokio::sync::OnceCell::const_new();
    let db = &services.db;
    let (kid, sealed, created_at) = MADE
        .get_or_init(|| async {
            keys::ensure_one(db, &services.secret_box, services.now()).await.expect("a signing key");
            let row =
                sqlx::query("SELECT kid, sealed_key, created_at FROM oidc_signing_keys").fetch_one(db).await.unwrap();
            (row.get("kid"), row.get("sealed_key"), row.get("created_at"))
        })
        .await;
    sqlx::query(
        "INSERT INTO oidc_signing_keys (kid, sealed_key, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(kid)
    .bind(sealed)
    .bind(created_at)
    .execute(db)
    .await
    .unwrap();
    keys::ensure_one(db, &services.secret_box, services.now()).await.expect("a signing key");
}

/// A migrated SQLite database in memory, its own for each call. Each connection to
/// `sqlite::memory:` would be a database of its own; a named in-memory database with a shared
/// cache is one database for every connection of the pool (the exchange writer keeps one).
async fn memory_database() -> AnyPool {
    static DATABASES: AtomicU64 = AtomicU64::new(0);
    sqlx::any::install_default_drivers();
    let name = format!("domain-test-{}-{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
    let pool = AnyPoolOptions::new()
        .max_connections(4)
        // The database lives as long as one connection to it: one stays open.
        .min_connections(1)
        .idle_timeout(None)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON;").await?;
                Ok(())
            })
        })
        .connect(&format!("sqlite:file:{name}?mode=memory&cache=shared"))
        .await
        .expect("an in-memory SQLite database");
    sqlx::migrate!("../migrations/sqlite").run(&pool).await.expect("the migrations");
    pool
}

/// The server on SQLite watches a file beside its database for the operator's commands. A test
/// has no such file and no operator: the file is made in a temporary folder and removed at once
/// (the open handle still answers, and nothing ever writes to it).
fn outside_changes() -> OutsideChanges {
    let folder = tempfile::tempdir().expect("a temporary folder");
    OutsideChanges::watch(&folder.path().join("test.db")).expect("the outside-changes file")
}

/// An outcome in a few words, to compare with a table's expectation: the variant of an error
/// (with its wait or its minutes, where it has one).
pub fn error_name(error: &AuthError) -> String {
    match error {
        AuthError::Throttled { retry_after } => format!("Throttled({}s)", retry_after.as_secs()),
        AuthError::CodeRejectedClockOff { minutes } => format!("CodeRejectedClockOff({minutes} min)"),
        AuthError::Unexpected(e) => format!("Unexpected({e})"),
        other => {
            let debug = format!("{other:?}");
            debug.split(['(', ' ', '{']).next().unwrap_or_default().to_owned()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A session kept in memory
// ---------------------------------------------------------------------------------------------

/// One visitor's session, kept in memory. `id` changes on every `renew` (a new session id).
#[derive(Default)]
pub struct MemorySession {
    id: Mutex<u64>,
    record: Mutex<Option<SignInRecord>>,
    setup_token: Mutex<Option<String>>,
    with_key: Mutex<bool>,
    on_remembered_device: Mutex<bool>,
    fresh: Mutex<Option<FreshSignIn>>,
    ended: Mutex<bool>,
    address: Option<String>,
    device: Option<String>,
}

impl MemorySession {
    pub fn new() -> Self {
        Self::default()
    }

    /// A session whose requests come from `address` (counted by the per-address limits).
    pub fn from_address(address: &str) -> Self {
        Self { address: Some(address.to_owned()), ..Self::default() }
    }

    /// Which session id this is (it changes on `renew`).
    pub fn id(&self) -> u64 {
        *self.id.lock().unwrap()
    }

    pub fn record(&self) -> Option<SignInRecord> {
        *self.record.lock().unwrap()
    }

    /// Whether the session was ended (`SessionData::end`).
    pub fn was_ended(&self) -> bool {
        *self.ended.lock().unwrap()
    }
}

impl SessionData for MemorySession {
    async fn sign_in_record(&self) -> Result<Option<SignInRecord>, AuthError> {
        Ok(*self.record.lock().unwrap())
    }
    async fn set_sign_in_record(&self, record: SignInRecord) -> Result<(), AuthError> {
        *self.record.lock().unwrap() = Some(record);
        Ok(())
    }
    /// A new id; the setup token and the security-key mark are forgotten (the trait says so);
    /// the sign-in record and the fresh sign-in an app asked for are kept.
    async fn renew(&self) -> Result<(), AuthError> {
        *self.id.lock().unwrap() += 1;
        *self.setup_token.lock().unwrap() = None;
        *self.with_key.lock().unwrap() = false;
        *self.on_remembered_device.lock().unwrap() = false;
        Ok(())
    }
    async fn end(&self) -> Result<(), AuthError> {
        *self.id.lock().unwrap() += 1;
        *self.record.lock().unwrap() = None;
        *self.setup_token.lock().unwrap() = None;
        *self.with_key.lock().unwrap() = false;
        *self.on_remembered_device.lock().unwrap() = false;
        *self.fresh.lock().unwrap() = None;
        *self.ended.lock().unwrap() = true;
        Ok(())
    }
    async fn setup_token(&self) -> Result<Option<String>, AuthError> {
        Ok(self.setup_token.lock().unwrap().clone())
    }
    async fn set_setup_token(&self, token: String) -> Result<(), AuthError> {
        *self.setup_token.lock().unwrap() = Some(token);
        Ok(())
    }
    async fn forget_setup_token(&self) -> Result<(), AuthError> {
        *self.setup_token.lock().unwrap() = None;
        Ok(())
    }
    async fn signed_in_with_key(&self) -> Result<bool, AuthError> {
        Ok(*self.with_key.lock().unwrap())
    }
    async fn mark_signed_in_with_key(&self) -> Result<(), AuthError> {
        *self.with_key.lock().unwrap() = true;
        Ok(())
    }
    async fn signed_in_with_passkey(&self) -> Result<bool, AuthError> {
        Ok(false)
    }
    async fn mark_signed_in_with_passkey(&self) -> Result<(), AuthError> {
        Ok(())
    }
    async fn signed_in_on_remembered_device(&self) -> Result<bool, AuthError> {
        Ok(*self.on_remembered_device.lock().unwrap())
    }
    async fn mark_signed_in_on_remembered_device(&self) -> Result<(), AuthError> {
        *self.on_remembered_device.lock().unwrap() = true;
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
        self.address.as_deref()
    }
    fn device_token(&self) -> Option<&str> {
        self.device.as_deref()
    }
}

/// Where a session stands, as the tables check it.
#[derive(Debug, PartialEq, Eq)]
pub enum Stage {
    Anonymous,
    PendingSecondFactor { user_id: i64 },
    PendingExpired,
    SignedIn { user_id: i64 },
}

/// Where `session` stands now, as `Visitor::of` resolves it.
pub async fn stage(services: &Services, session: &MemorySession) -> Stage {
    match Visitor::of(services, session).await.unwrap() {
        Visitor::Anonymous => Stage::Anonymous,
        Visitor::PendingExpired => Stage::PendingExpired,
        Visitor::Pending { user_id, .. } => Stage::PendingSecondFactor { user_id },
        Visitor::SignedIn(signed_in) => Stage::SignedIn { user_id: signed_in.user_id },
    }
}

// ---------------------------------------------------------------------------------------------
// Visitors of an authorization request (the one place one is built), with whether the fresh
// sign-in the request waits for is done
// ---------------------------------------------------------------------------------------------

pub type Asking = (Visitor, bool);

pub fn anonymous() -> Asking {
    (Visitor::Anonymous, false)
}

/// The password step is done, the second factor is not.
pub fn pending() -> Asking {
    (Visitor::Pending { user_id: 0, identity: Arc::new(identity(false, 0)) }, false)
}

fn identity(two_factor: bool, session_epoch: i64) -> Identity {
    Identity {
        username: "someone".into(),
        two_factor,
        session_epoch,
        display_name: None,
        email: None,
        email_verified: false,
        groups: Vec::new(),
        oidc_subject: None,
        disabled: false,
        two_factor_required: false,
    }
}

/// Signed in to `user_id` at `auth_time`, the account at `session_epoch`; the second step was a
/// code (when 2FA is on), not a security key; the account has no `sub` yet; no fresh sign-in.
pub fn signed_in_visitor(user_id: i64, two_factor_on: bool, auth_time: i64, session_epoch: i64) -> Asking {
    let factors = if two_factor_on { Factors::PasswordAndCode } else { Factors::Password };
    let identity = Arc::new(identity(two_factor_on, session_epoch));
    (Visitor::SignedIn(SignedIn { user_id, identity, authenticated_at: auth_time, factors }), false)
}

/// The visitor `session` is, resolved as the server resolves it; `fresh_sign_in`: the fresh
/// sign-in the request waits for, if any.
pub async fn visitor(services: &Services, session: &MemorySession, fresh_sign_in: Option<&str>) -> Asking {
    let visitor = Visitor::of(services, session).await.unwrap();
    let done = match fresh_sign_in {
        Some(id) => session::fresh_sign_in_done(session, id).await.unwrap(),
        None => false,
    };
    (visitor, done)
}

// ---------------------------------------------------------------------------------------------
// Accounts, made through the flows
// ---------------------------------------------------------------------------------------------

/// An account without 2FA, registered through the flow; returns its id and the session it is
/// signed in to.
pub async fn register(services: &Services, name: &str) -> (i64, MemorySession) {
    let session = MemorySession::new();
    registration::register(services, &session, Some(name.into()), Some(PASSWORD.into())).await.unwrap();
    let account = Visitor::of(services, &session).await.unwrap().account(services).await.unwrap();
    (account.id, session)
}

/// An account with 2FA on (TOTP, the default policy).
pub struct TwoFactorAccount {
    pub id: i64,
    pub name: String,
    /// The key as the setup page shows it (what the phone scans).
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

impl TwoFactorAccount {
    /// The code the phone shows now (computed by the oracle).
    pub fn code_now(&self, services: &Services) -> String {
        code_at(&self.secret, services.now())
    }
}

/// Registers `name` and turns 2FA on through the setup flow, confirmed with the oracle's code.
/// The confirming code's time step is used by then: the clock is moved on five minutes (ten
/// steps), so the codes of the steps around the new time were never used.
pub async fn register_with_two_factor(services: &Services, name: &str) -> TwoFactorAccount {
    let (id, session) = register(services, name).await;
    let account = Visitor::of(services, &session).await.unwrap().account(services).await.unwrap();
    let offer = two_factor_setup::start(services, &session, &account).await.unwrap();
    let secret = offer.secret.to_base32();
    let code = code_at(&secret, services.now());
    let recovery_codes = two_factor_setup::confirm(services, &session, &account, Some(code)).await.unwrap();
    services.clock.advance(10 * STEP);
    TwoFactorAccount { id, name: name.to_owned(), secret, recovery_codes }
}

/// The password step for `name` with the right password, in a new session.
pub async fn after_password(services: &Services, name: &str) -> MemorySession {
    let session = MemorySession::new();
    password_step(services, &session, name, PASSWORD).await.unwrap();
    session
}

pub async fn password_step(
    services: &Services,
    session: &MemorySession,
    name: &str,
    password: &str,
) -> Result<PasswordOutcome, AuthError> {
    sign_in::password_step(services, session, Some(name.into()), Some(password.into())).await
}

/// A fully signed-in session of a 2FA account (password, then the oracle's current code).
pub async fn signed_in_with_code(services: &Services, account: &TwoFactorAccount) -> MemorySession {
    let session = after_password(services, &account.name).await;
    sign_in::code_step(services, &session, Some(account.code_now(services))).await.unwrap();
    session
}

// ---------------------------------------------------------------------------------------------
// One-time codes, from the independent oracle
// ---------------------------------------------------------------------------------------------

/// The TOTP code (SHA1, 6 digits, 30 s) of `secret` at `unix_time`, as an app shows it.
pub fn code_at(secret: &str, unix_time: i64) -> String {
    otp_oracle::totp(secret, unix_time).expect("the oracle's code")
}

/// A six-digit code that is none of `secret`'s codes from 25 steps before `unix_time` to 25
/// after (so it is neither accepted nor taken for a phone's clock being off).
pub fn wrong_code(secret: &str, unix_time: i64) -> String {
    let near: Vec<String> = (-25..=25).map(|steps| code_at(secret, unix_time + steps * STEP)).collect();
    (0..1_000_000u32).map(|n| format!("{n:06}")).find(|code| !near.contains(code)).unwrap()
}

/// The first time at or after `from` (at the same offset within its step) whose code starts
/// with a zero.
pub fn time_of_code_with_leading_zero(secret: &str, from: i64) -> i64 {
    (0..10_000).map(|steps| from + steps * STEP).find(|t| code_at(secret, *t).starts_with('0')).unwrap()
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect clients, registered as the operator's command registers them
// ---------------------------------------------------------------------------------------------

pub const REDIRECT_URI: &str = "https://app.example.test/callback";

/// Registers a client with one redirect URI, `https://<client_id>.example.test/callback` (or
/// `REDIRECT_URI` for the client `app`); returns its secret (`None`: a public client).
pub async fn add_client(services: &Services, client_id: &str, public: bool, policy: ClientPolicy) -> Option<String> {
    let client = NewClient {
        client_id: client_id.into(),
        name: Some(format!("The {client_id} app")),
        redirect_uris: vec![redirect_uri_of(client_id)],
        post_logout_redirect_uris: vec![],
        public,
        policy,
        allowed_groups: vec![],
        allow_insecure_http: false,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    };
    clients::add(&services.db, &client, services.now()).await.unwrap()
}

pub fn redirect_uri_of(client_id: &str) -> String {
    if client_id == "app" {
        REDIRECT_URI.to_owned()
    } else {
        format!("https://{client_id}.example.test/callback")
    }
}

/// A PKCE verifier and its S256 challenge (RFC 7636 appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
