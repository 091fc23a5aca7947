//! The apps registered by the operator (`server oidc client …`, or the console through
//! `store::apps`). A confidential client's secret is shown once and kept as its SHA-256 (it is
//! 256 random bits: a fast hash is enough). Read from the database on every request, so a change
//! takes effect at once on every running instance; the one exception, the code exchange, checks
//! the copy it kept in the statement that issues the tokens (`KeptClients`). Who an app is open
//! to (`allowed_groups`) and its policy are never decided on that copy: the authorization request
//! and the refresh grant read the registration from the database.

use super::access_cache::AccessCache;
use crate::{
    credentials::secret_box::{random_hex, sha256_hex},
    error::AuthError,
    input,
};
use sqlx::{any::AnyRow, AnyPool, Row};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use subtle::ConstantTimeEq;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientPolicy {
    OneFactor,
    TwoFactor,
}

impl ClientPolicy {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "one_factor" => Some(Self::OneFactor),
            "two_factor" => Some(Self::TwoFactor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneFactor => "one_factor",
            Self::TwoFactor => "two_factor",
        }
    }
}

/// A grant a client may use at the token endpoint (`--grant`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    /// People sign in through the authorization endpoint; with `offline_access`, refresh tokens.
    AuthorizationCode,
    /// The client gets tokens for itself (a machine client, RFC 6749 §4.4).
    ClientCredentials,
}

impl GrantType {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "authorization_code" => Some(Self::AuthorizationCode),
            "client_credentials" => Some(Self::ClientCredentials),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// The scopes that name what a person shares (`authorization::SCOPES`): a machine client has no
/// person behind it, so they are not among the scopes an operator gives one.
const PEOPLE_SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];

#[derive(Clone, Debug)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub policy: ClientPolicy,
    /// The groups whose members the app is open to; empty: everyone. Each a group name
    /// (`input::group_names`), stored comma-separated as the accounts' groups are.
    pub allowed_groups: Vec<String>,
    /// When it was registered (Unix seconds): a client deleted and registered again under the
    /// same id is another registration.
    pub registered_at: i64,
    /// The grants it may use (`authorization_code` also covers `refresh_token`).
    pub grant_types: Vec<GrantType>,
    /// What the `client_credentials` grant may give it (the operator's `--scope`).
    pub scopes: Vec<String>,
}

impl Client {
    /// Whether the client may use `grant` at the token endpoint.
    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// A public client (a browser or mobile app) has no secret and must use PKCE.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// Whether `secret` is this client's secret (compared in constant time).
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_hash
            .as_ref()
            .is_some_and(|hash| bool::from(hash.as_bytes().ct_eq(sha256_hex(secret.as_bytes()).as_bytes())))
    }

    /// The stored hash of its secret (what a statement compares the registration against).
    pub fn secret_hash(&self) -> Option<&str> {
        self.secret_hash.as_deref()
    }

    /// Whether the app is open to an account in `groups`: every account when it names no group,
    /// else a member of one of them.
    pub fn admits(&self, groups: &[String]) -> bool {
        self.allowed_groups.is_empty() || self.allowed_groups.iter().any(|allowed| groups.contains(allowed))
    }
}

/// The clients token requests have named, kept in memory by id, so a code exchange reads nothing
/// before the statement that issues its tokens. Kept without a time limit, because nothing is
/// trusted on the strength of the copy alone: that statement issues only while the stored
/// registration is still the kept one (`exchange_writer::exchange`), a secret that does not match the
/// copy is checked again against the database, and only clients that exist are kept (so the
/// number kept is bounded by the registrations).
#[derive(Clone, Default)]
pub struct KeptClients(Arc<Mutex<HashMap<String, Arc<Client>>>>);

impl KeptClients {
    pub fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        self.0.lock().ok()?.get(client_id).cloned()
    }

    /// Reads `client_id` from the database and keeps it (or forgets it, when it is gone).
    pub async fn refresh(&self, db: &AnyPool, client_id: &str) -> Result<Option<Arc<Client>>, AuthError> {
        let found = find(db, client_id).await?.map(Arc::new);
        if let Ok(mut kept) = self.0.lock() {
            match &found {
                Some(client) => kept.insert(client_id.to_owned(), client.clone()),
                None => kept.remove(client_id),
            };
        }
        Ok(found)
    }

    /// Forgets the copy of `client_id`, after this process changed or deleted its registration:
    /// the next token request that names it reads it again.
    pub fn forget(&self, client_id: &str) {
        if let Ok(mut kept) = self.0.lock() {
            kept.remove(client_id);
        }
    }
}

/// What the operator asks for.
pub struct NewClient {
    pub client_id: String,
    pub name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub policy: ClientPolicy,
    /// The groups whose members the app is open to (group names); empty: everyone.
    pub allowed_groups: Vec<String>,
    /// Accept plain `http://` redirect URIs on hosts other than loopback (the operator's
    /// `--allow-insecure-http`).
    pub allow_insecure_http: bool,
    /// The grants it may use (`--grant`; the command line's default: `authorization_code`).
    pub grant_types: Vec<GrantType>,
    /// What the `client_credentials` grant may give (`--scope`); only with that grant.
    pub scopes: Vec<String>,
}

/// Why a registration could not be made or changed as asked. Its messages are written for the
/// operator (the command line prints them; the console shows them).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A client id, URI, group name or policy that is not one: the message says what to fix.
    #[error("{0}")]
    BadInput(String),
    /// `add` with a client id already registered.
    #[error("there is already a client {0:?}")]
    Taken(String),
    /// No client is registered under this id.
    #[error("no client named {0:?}")]
    NoSuchClient(String),
    /// A public client has no secret to rotate.
    #[error("{0:?} is a public client: it has no secret (it uses PKCE)")]
    PublicClient(String),
    /// Groups or a policy for a machine client, which nobody signs in to.
    #[error(
        "{0:?} is a machine client (client_credentials alone): nobody signs in to it, so it has no groups or policy"
    )]
    MachineClient(String),
    /// The database failed (or anything else): not the operator's doing.
    #[error(transparent)]
    Failed(#[from] AuthError),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Failed(e.into())
    }
}

fn bad(message: String) -> AppError {
    AppError::BadInput(message)
}

/// A client id: letters, digits, `.`, `_`, `-`, up to 64.
fn check_client_id(id: &str) -> Result<(), AppError> {
    let fine = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    fine.then_some(())
        .ok_or_else(|| bad(format!("{id:?} is not a client id: use letters, digits, '.', '_' and '-' (up to 64)")))
}

/// A redirect URI: absolute http(s), no fragment, no spaces or control characters (RFC 6749
/// §3.1.2). It is compared exactly.
fn check_uri(uri: &str) -> Result<(), AppError> {
    let scheme_ok = uri.starts_with("https://") || uri.starts_with("http://");
    let host_ok = uri.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    let clean = !uri.contains('#') && !uri.chars().any(|c| c.is_whitespace() || c.is_control());
    (scheme_ok && host_ok && clean)
        .then_some(())
        .ok_or_else(|| bad(format!("{uri:?} is not a redirect URI: give an absolute http(s) URL without a fragment")))
}

/// The host of an absolute URI, as a browser reads it.
fn host_of(uri: &str) -> Option<String> {
    crate::request_target::browser_host(&url::Url::parse(uri).ok()?)
}

/// Plain `http://` carries the code (and, after sign-out, the state) unencrypted: it is only for
/// an app on the person's own device, at a loopback address (RFC 8252 §7.3), unless the operator
/// accepts the risk.
fn check_transport(uri: &str, flag: &str, allow_insecure_http: bool) -> Result<(), AppError> {
    if !uri.starts_with("http://") || allow_insecure_http {
        return Ok(());
    }
    if matches!(host_of(uri).as_deref(), Some("127.0.0.1" | "[::1]" | "localhost")) {
        return Ok(());
    }
    Err(bad(format!(
        "{flag} {uri:?} is plain http: use https (http is accepted only for a loopback address: 127.0.0.1, [::1] \
         or localhost), or pass --allow-insecure-http to register it anyway"
    )))
}

/// Group names only (a comma in one would split it in two when read back).
pub(super) fn check_groups(groups: &[String]) -> Result<(), AppError> {
    input::group_names(groups).map_err(|e| bad(e.to_string()))
}

/// A scope the operator gives a machine client: RFC 6749 §3.3's characters, up to 64, and none
/// of the scopes that name what a person shares.
fn check_scope(scope: &str) -> Result<(), AppError> {
    let fine = !scope.is_empty()
        && scope.len() <= 64
        && scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    if !fine {
        return Err(bad(format!(
            "--scope {scope:?} is not a scope: use printable characters, no spaces, quotes or backslashes (up to 64)"
        )));
    }
    if PEOPLE_SCOPES.contains(&scope) {
        return Err(bad(format!(
            "--scope {scope}: that scope is about a person, and a machine client acts for itself (give it the scopes of your own APIs)"
        )));
    }
    Ok(())
}

/// What a registration may hold given its grants: redirect URIs (and people's settings) only for
/// an app people sign in to, scopes only for a machine client, and a machine client always
/// confidential.
fn check_grants(client: &NewClient) -> Result<(), AppError> {
    if client.grant_types.is_empty() {
        return Err(bad("give at least one --grant (authorization_code, client_credentials)".into()));
    }
    let signs_people_in = client.grant_types.contains(&GrantType::AuthorizationCode);
    let machine = client.grant_types.contains(&GrantType::ClientCredentials);
    if signs_people_in && client.redirect_uris.is_empty() {
        return Err(bad("give at least one --redirect-uri".into()));
    }
    if !signs_people_in {
        if !client.redirect_uris.is_empty() || !client.post_logout_redirect_uris.is_empty() {
            return Err(bad(
                "a client with --grant client_credentials alone signs nobody in: it takes no redirect URIs (add \
                 --grant authorization_code for an app that also signs people in)"
                    .into(),
            ));
        }
        if !client.allowed_groups.is_empty() {
            return Err(bad(
                "a client with --grant client_credentials alone signs nobody in: it takes no --groups".into()
            ));
        }
    }
    if machine && client.public {
        return Err(bad(
            "--grant client_credentials is for confidential clients: a --public client has no secret".into()
        ));
    }
    if !machine && !client.scopes.is_empty() {
        return Err(bad("--scope is what the client_credentials grant gives: add --grant client_credentials".into()));
    }
    client.scopes.iter().try_for_each(|scope| check_scope(scope))
}

/// Registers a client; returns its secret (confidential clients), to be shown once. Only its
/// hash is stored. (`apps::Apps::add` also forgets a copy kept of an earlier registration.)
pub async fn add(db: &AnyPool, client: &NewClient, now: i64) -> Result<Option<String>, AppError> {
    check_client_id(&client.client_id)?;
    check_groups(&client.allowed_groups)?;
    check_grants(client)?;
    client.redirect_uris.iter().chain(&client.post_logout_redirect_uris).try_for_each(|uri| check_uri(uri))?;
    let uris = client.redirect_uris.iter().map(|uri| (uri, "--redirect-uri"));
    let logout_uris = client.post_logout_redirect_uris.iter().map(|uri| (uri, "--post-logout-redirect-uri"));
    uris.chain(logout_uris).try_for_each(|(uri, flag)| check_transport(uri, flag, client.allow_insecure_http))?;
    let secret = (!client.public).then(|| random_hex(32));
    let inserted = sqlx::query(
        "INSERT INTO oidc_clients
             (client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, policy, allowed_groups, created_at,
              grant_types, scopes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (client_id) DO NOTHING",
    )
    .bind(&client.client_id)
    .bind(client.name.clone().unwrap_or_else(|| client.client_id.clone()))
    .bind(secret.as_ref().map(|s| sha256_hex(s.as_bytes())))
    .bind(client.redirect_uris.join("\n"))
    .bind(client.post_logout_redirect_uris.join("\n"))
    .bind(client.policy.as_str())
    .bind(client.allowed_groups.join(","))
    .bind(now)
    .bind(words_of(&client.grant_types.iter().map(|grant| grant.as_str().to_owned()).collect::<Vec<_>>()))
    .bind(words_of(&client.scopes))
    .execute(db)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Taken(client.client_id.clone()));
    }
    Ok(secret)
}

/// Gives a confidential client a new secret, returned to be shown once; the old one stops
/// working at once (token requests compare against the stored hash: `KeptClients`). Tokens
/// already issued stay.
pub(super) async fn new_secret(db: &AnyPool, client_id: &str) -> Result<String, AppError> {
    let secret = random_hex(32);
    let changed =
        sqlx::query("UPDATE oidc_clients SET secret_hash = $1 WHERE client_id = $2 AND secret_hash IS NOT NULL")
            .bind(sha256_hex(secret.as_bytes()))
            .bind(client_id)
            .execute(db)
            .await?;
    if changed.rows_affected() == 0 {
        return Err(match find(db, client_id).await? {
            Some(_) => AppError::PublicClient(client_id.to_owned()),
            None => AppError::NoSuchClient(client_id.to_owned()),
        });
    }
    Ok(secret)
}

/// Sets one column of a client's registration; `NoSuchClient` when there is none.
async fn set_column(db: &AnyPool, client_id: &str, statement: &str, value: String) -> Result<(), AppError> {
    let changed = sqlx::query(statement).bind(value).bind(client_id).execute(db).await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NoSuchClient(client_id.to_owned()));
    }
    Ok(())
}

/// Refuses a change that is only about people for a machine client (`--grant client_credentials`
/// alone). A client's grants never change, so reading it first is enough.
async fn people_sign_in_to(db: &AnyPool, client_id: &str) -> Result<(), AppError> {
    match find(db, client_id).await? {
        Some(client) if !client.may_use(GrantType::AuthorizationCode) => {
            Err(AppError::MachineClient(client_id.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Replaces the groups whose members the app is open to (empty: everyone).
pub(super) async fn set_allowed_groups(db: &AnyPool, client_id: &str, groups: &[String]) -> Result<(), AppError> {
    check_groups(groups)?;
    people_sign_in_to(db, client_id).await?;
    let statement = "UPDATE oidc_clients SET allowed_groups = $1 WHERE client_id = $2";
    set_column(db, client_id, statement, groups.join(",")).await
}

/// Sets how the app's people must have signed in.
pub(super) async fn set_policy(db: &AnyPool, client_id: &str, policy: ClientPolicy) -> Result<(), AppError> {
    people_sign_in_to(db, client_id).await?;
    let statement = "UPDATE oidc_clients SET policy = $1 WHERE client_id = $2";
    set_column(db, client_id, statement, policy.as_str().to_owned()).await
}

fn lines(text: String) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Distinct words, space-separated, in the order given.
fn words_of(words: &[String]) -> String {
    let mut distinct: Vec<&str> = Vec::new();
    for word in words {
        if !distinct.contains(&word.as_str()) {
            distinct.push(word);
        }
    }
    distinct.join(" ")
}

fn from_row(row: &AnyRow) -> Result<Client, sqlx::Error> {
    let policy: String = row.try_get("policy")?;
    let grant_types: String = row.try_get("grant_types")?;
    let scopes: String = row.try_get("scopes")?;
    Ok(Client {
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: lines(row.try_get("redirect_uris")?),
        post_logout_redirect_uris: lines(row.try_get("post_logout_redirect_uris")?),
        policy: ClientPolicy::parse(&policy).unwrap_or(ClientPolicy::TwoFactor),
        allowed_groups: crate::storage::accounts::groups_of(&row.try_get::<String, _>("allowed_groups")?),
        registered_at: row.try_get("created_at")?,
        grant_types: grant_types.split_whitespace().filter_map(GrantType::parse).collect(),
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
    })
}

const SELECT_COLUMNS: &str =
    "SELECT client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, policy, allowed_groups, created_at, grant_types, scopes";

pub async fn find(db: &AnyPool, client_id: &str) -> Result<Option<Client>, AuthError> {
    let row = sqlx::query(&format!("{SELECT_COLUMNS} FROM oidc_clients WHERE client_id = $1"))
        .bind(client_id)
        .fetch_optional(db)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn list(db: &AnyPool) -> Result<Vec<Client>, AuthError> {
    let rows = sqlx::query(&format!("{SELECT_COLUMNS} FROM oidc_clients ORDER BY client_id")).fetch_all(db).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Deletes a client and everything issued to it; `false` when there was none.
pub async fn delete(db: &AnyPool, access: &AccessCache, client_id: &str) -> Result<bool, AuthError> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM oidc_tokens WHERE client_id = $1").bind(client_id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM oidc_client_tokens WHERE client_id = $1").bind(client_id).execute(&mut *tx).await?;
    let deleted =
        sqlx::query("DELETE FROM oidc_clients WHERE client_id = $1").bind(client_id).execute(&mut *tx).await?;
    tx.commit().await?;
    access.forget_client(client_id);
    Ok(deleted.rows_affected() > 0)
}

/// The client, and the id of the key that signs now, in one read (the refresh grant): a client
/// deleted or a key rotated by the operator's command shows at once.
pub async fn with_signing_kid(db: &AnyPool, client_id: &str) -> Result<Option<(Client, String)>, AuthError> {
    let row = sqlx::query(&format!(
        "{}, {} AS signing_kid FROM oidc_clients WHERE client_id = $1",
        SELECT_COLUMNS,
        crate::openid::signing_key::CURRENT_KID
    ))
    .bind(client_id)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kid: Option<String> = row.try_get("signing_kid")?;
    let kid = kid.ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("there is no signing key")))?;
    Ok(Some((from_row(&row)?, kid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(scopes: &[&str]) -> NewClient {
        NewClient {
            client_id: "backup".into(),
            name: None,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            public: false,
            policy: ClientPolicy::TwoFactor,
            allowed_groups: vec![],
            allow_insecure_http: false,
            grant_types: vec![GrantType::ClientCredentials],
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_machine_client_is_confidential_has_no_redirect_uri_and_no_scope_about_a_person() {
        assert!(check_grants(&machine(&["backup:read", "metrics", "api://x/y.z"])).is_ok());
        assert!(check_grants(&machine(&[])).is_ok(), "a client may have no scope");
        for scope in ["openid", "profile", "email", "groups", "offline_access", "", "a b", "a\"b", "a\\b", "é"] {
            assert!(check_grants(&machine(&[scope])).is_err(), "{scope:?}");
        }
        assert!(check_grants(&NewClient { public: true, ..machine(&[]) }).is_err(), "public");
        assert!(check_grants(&NewClient { redirect_uris: vec!["https://x.test/cb".into()], ..machine(&[]) }).is_err());
        assert!(check_grants(&NewClient { allowed_groups: vec!["admins".into()], ..machine(&[]) }).is_err());
        assert!(check_grants(&NewClient { grant_types: vec![], ..machine(&[]) }).is_err());
        let people_app = NewClient { grant_types: vec![GrantType::AuthorizationCode], ..machine(&[]) };
        assert!(check_grants(&people_app).is_err(), "an app people sign in to needs a redirect URI");
        let people_app = NewClient { redirect_uris: vec!["https://x.test/cb".into()], ..people_app };
        assert!(check_grants(&people_app).is_ok());
        assert!(check_grants(&NewClient { scopes: vec!["metrics".into()], ..people_app }).is_err(), "--scope alone");
        let both = NewClient {
            grant_types: vec![GrantType::AuthorizationCode, GrantType::ClientCredentials],
            redirect_uris: vec!["https://x.test/cb".into()],
            allowed_groups: vec!["staff".into()],
            ..machine(&["metrics"])
        };
        assert!(check_grants(&both).is_ok());
    }

    #[test]
    fn plain_http_is_accepted_only_on_loopback_unless_allowed() {
        for fine in [
            "https://app.example.com/cb",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]:8080/cb",
            "http://LOCALHOST:5173/cb",
            "http://localhost",
        ] {
            assert!(check_transport(fine, "--redirect-uri", false).is_ok(), "{fine}");
        }
        for refused in [
            "http://app.example.com/cb",
            "http://127.0.0.1.example.com/cb",
            "http://localhost.example.com/cb",
            "http://127.0.0.1@evil.example/cb",
            "http://[::2]/cb",
            "http://10.0.0.1/cb",
        ] {
            assert!(check_transport(refused, "--redirect-uri", false).is_err(), "{refused}");
            assert!(check_transport(refused, "--redirect-uri", true).is_ok(), "{refused}");
        }
    }
}
