//! The token endpoint's three grants (RFC 6749 §4.1.3, §6 and §4.4), the ID token, and the
//! userinfo claims. Errors are RFC 6749 §5.2's.

use super::{
    codes::Code,
    store::{
        access_cache,
        clients::{self, Client, GrantType},
        exchange_writer::{self, AuthenticatedClient, Exchanged, NewTokens},
        grants::{self, Grant, Refreshed, Rotation},
        keys,
        machine_tokens::{self, NewMachineToken},
        subject,
    },
};
use crate::{credentials::secret_box::random_hex, error::AuthError, services::Services, storage::identities::Identity};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
pub const ID_TOKEN_SECONDS: i64 = 600;
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;

pub use super::errors::{TokenError, TokenRefusal};

/// How the client said who it is: HTTP Basic, form fields, or its id alone (a public client).
#[derive(Default)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub secret: Option<String>,
}

/// What the token endpoint answers.
pub struct Issued {
    pub access_token: String,
    pub expires_in: i64,
    /// `None` for a machine client (`client_credentials`): nobody signed in.
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: String,
}

fn invalid_client() -> TokenError {
    TokenError::refused(TokenRefusal::InvalidClient, "unknown client or wrong secret")
}

/// `Ok` when `client` may use `grant`, else `unauthorized_client` (RFC 6749 §5.2). Asked once
/// the client has authenticated, before any code or token is touched.
fn may_use(client: &Client, grant: GrantType) -> Result<(), TokenError> {
    if client.may_use(grant) {
        return Ok(());
    }
    Err(TokenError::refused(
        TokenRefusal::UnauthorizedClient,
        format!("this client is not registered for the {} grant", grant.as_str()),
    ))
}

/// Whether the request's credentials are `client`'s: its secret, or none for a public client
/// (an empty one counts as none: some client libraries send `client_secret=` or Basic `id:`).
fn authenticates(client: &Client, credentials: &ClientCredentials) -> bool {
    match (credentials.secret.as_deref().filter(|secret| !secret.is_empty()), client.is_public()) {
        (None, true) => true,
        (Some(secret), false) => client.secret_matches(secret),
        _ => false,
    }
}

/// Who the client is (its secret checked), and the key to sign with, from the database.
async fn authenticate(services: &Services, credentials: &ClientCredentials) -> Result<(Client, String), TokenError> {
    let client_id = credentials.client_id.as_deref().ok_or_else(invalid_client)?;
    let (client, kid) = clients::with_signing_kid(&services.db, client_id).await?.ok_or_else(invalid_client)?;
    authenticates(&client, credentials).then_some((client, kid)).ok_or_else(invalid_client)
}

/// Who the client is, from the copy kept in memory (`KeptClients`): the statement that issues
/// the tokens confirms it. Credentials the copy refuses are checked against the database.
async fn authenticate_kept(services: &Services, credentials: &ClientCredentials) -> Result<Arc<Client>, TokenError> {
    let client_id = credentials.client_id.as_deref().ok_or_else(invalid_client)?;
    if let Some(client) = services.clients.get(client_id).filter(|client| authenticates(client, credentials)) {
        return Ok(client);
    }
    let client = services.clients.refresh(&services.db, client_id).await?.ok_or_else(invalid_client)?;
    authenticates(&client, credentials).then_some(client).ok_or_else(invalid_client)
}

/// RFC 7636 §4.6: BASE64URL(SHA-256(verifier)) equals the challenge.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// Why `code` cannot be exchanged by this request of its own client, if it cannot.
fn problem_with(code: &Code, redirect_uri: Option<&str>, verifier: Option<&str>, now: i64) -> Option<&'static str> {
    if code.expires_at <= now {
        return Some("the code has expired");
    }
    if redirect_uri != Some(code.binding.redirect_uri.as_str()) {
        return Some("redirect_uri differs from the authorization request's");
    }
    match (code.binding.code_challenge.as_deref(), verifier) {
        (Some(challenge), Some(verifier)) if verifier_matches(verifier, challenge) => None,
        (Some(_), _) => Some("the code_verifier does not match the code_challenge"),
        (None, Some(_)) => Some("there was no code_challenge for this code"),
        (None, None) => None,
    }
}

/// The identity of the account a grant is for (kept in memory on SQLite).
async fn account_of(services: &Services, grant: &Grant) -> Result<Arc<Identity>, TokenError> {
    services
        .identities
        .get(&services.db, grant.user_id)
        .await
        .map_err(AuthError::from)?
        .ok_or_else(|| TokenError::refused(TokenRefusal::InvalidGrant, "the account no longer exists"))
}

fn already_used() -> TokenError {
    TokenError::refused(TokenRefusal::InvalidGrant, "the code was already used")
}

/// `grant_type=authorization_code`. Reads nothing before the one statement that stores the
/// tokens (`exchange_writer::exchange`): the code is sealed, the client kept, the identity kept
/// (on SQLite), the signing key opened once.
pub async fn exchange_code(
    services: &Services,
    credentials: &ClientCredentials,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<Issued, TokenError> {
    let client = authenticate_kept(services, credentials).await?;
    // A client's grants are fixed when it is registered: the kept copy says them.
    may_use(&client, GrantType::AuthorizationCode)?;
    let presented = code.ok_or_else(|| TokenError::refused(TokenRefusal::InvalidRequest, "code is missing"))?;
    let code = Code::open(&services.code_sealing, presented)
        .ok_or_else(|| TokenError::refused(TokenRefusal::InvalidGrant, "unknown code"))?;
    if code.grant.client_id != client.client_id {
        // Refused before the code is touched: another client can neither spend a code that is
        // not its own nor, with one used before, revoke what it gave.
        return Err(TokenError::refused(TokenRefusal::InvalidGrant, "the code was issued to another client"));
    }
    let code_hash = grants::hash(presented);
    let now = services.now();
    if let Some(problem) = problem_with(&code, redirect_uri, verifier, now) {
        // Spent whatever the outcome; a code used before also loses what it gave.
        if grants::spend(&services.db, &code, &code_hash).await? {
            grants::revoke_grant(&services.db, &services.access_tokens, &code.grant.grant_id).await?;
            return Err(already_used());
        }
        return Err(TokenError::refused(TokenRefusal::InvalidGrant, problem));
    }
    let grant = &code.grant;
    let identity = account_of(services, grant).await?;
    let access_token = random_hex(32);
    let refresh_token = grant.has_scope("offline_access").then(|| random_hex(32));
    let tokens = NewTokens {
        access_token: &access_token,
        access_expires_at: now + ACCESS_TOKEN_SECONDS,
        refresh: refresh_token.as_deref().map(|token| (token, now + REFRESH_TOKEN_SECONDS)),
    };
    let authenticated = AuthenticatedClient { client_id: &client.client_id, secret_hash: client.secret_hash() };
    let kid = match exchange_writer::exchange(
        &services.db,
        services.exchange_writer.as_ref(),
        &code,
        &code_hash,
        &authenticated,
        &tokens,
    )
    .await?
    {
        Exchanged::Issued { signing_kid } => signing_kid,
        Exchanged::AlreadyUsed => {
            // A stolen code replayed, or the real client's retry: either way, nothing it gave
            // stays valid.
            grants::revoke_grant(&services.db, &services.access_tokens, &grant.grant_id).await?;
            return Err(already_used());
        }
        Exchanged::Stale => return Err(why_stale(services, &client, &code).await?),
    };
    let id_token =
        id_token(services, grant, code.subject.clone(), &identity, code.binding.nonce.as_deref(), &kid).await?;
    Ok(Issued {
        access_token,
        expires_in: ACCESS_TOKEN_SECONDS,
        id_token: Some(id_token),
        refresh_token,
        scope: grant.scope.clone(),
    })
}

/// Why the exchange stored nothing: the client's registration changed (the request's secret is
/// no longer its secret), the client was registered again since the code, or the account left the
/// code's session epoch (its sessions ended, 2FA turned off, a reset) or is gone.
async fn why_stale(services: &Services, kept: &Client, code: &Code) -> Result<TokenError, AuthError> {
    Ok(match services.clients.refresh(&services.db, &kept.client_id).await? {
        Some(stored) if stored.secret_hash() == kept.secret_hash() => {
            if stored.registered_at != code.client_registered_at {
                TokenError::refused(TokenRefusal::InvalidGrant, "the code was issued to another client")
            } else {
                TokenError::refused(TokenRefusal::InvalidGrant, "the sign-in the code came from has ended")
            }
        }
        _ => invalid_client(),
    })
}

/// `grant_type=refresh_token`: the token rotates; a used one again revokes the grant (RFC 9700).
/// The account must still be one the app is open to (`Client::admits`, on the registration read
/// with the request and the account's groups now): else the grant is revoked, so taking someone
/// out of the app's groups ends its access at the next refresh.
pub async fn refresh(
    services: &Services,
    credentials: &ClientCredentials,
    refresh_token: Option<&str>,
) -> Result<Issued, TokenError> {
    let (client, kid) = authenticate(services, credentials).await?;
    may_use(&client, GrantType::AuthorizationCode)?;
    let token =
        refresh_token.ok_or_else(|| TokenError::refused(TokenRefusal::InvalidRequest, "refresh_token is missing"))?;
    let now = services.now();
    let access_token = random_hex(32);
    let new_refresh = random_hex(32);
    let rotation = Rotation {
        client_id: &client.client_id,
        access_token: &access_token,
        access_expires_at: now + ACCESS_TOKEN_SECONDS,
        refresh_token: &new_refresh,
        refresh_expires_at: now + REFRESH_TOKEN_SECONDS,
    };
    let grant = match grants::rotate_refresh(&services.db, token, now, &rotation).await? {
        Refreshed::Rotated(grant) => grant,
        Refreshed::OtherClient => {
            return Err(TokenError::refused(
                TokenRefusal::InvalidGrant,
                "the refresh token was issued to another client",
            ))
        }
        Refreshed::Reused { grant_id } => {
            grants::revoke_grant(&services.db, &services.access_tokens, &grant_id).await?;
            return Err(TokenError::refused(TokenRefusal::InvalidGrant, "the refresh token was already used"));
        }
        Refreshed::Unknown => {
            return Err(TokenError::refused(TokenRefusal::InvalidGrant, "unknown or expired refresh token"))
        }
    };
    let identity = account_of(services, &grant).await?;
    if !client.admits(&identity.groups) {
        // What the rotation just stored goes too (nobody was given it), with the grant's access
        // token still live.
        grants::revoke_grant(&services.db, &services.access_tokens, &grant.grant_id).await?;
        return Err(TokenError::refused(
            TokenRefusal::InvalidGrant,
            "the account is no longer in the groups this app is open to",
        ));
    }
    let subject = subject::of(services, grant.user_id, identity.oidc_subject.as_deref()).await?;
    let id_token = id_token(services, &grant, subject, &identity, None, &kid).await?;
    Ok(Issued {
        access_token,
        expires_in: ACCESS_TOKEN_SECONDS,
        id_token: Some(id_token),
        refresh_token: Some(new_refresh),
        scope: grant.scope.clone(),
    })
}

/// The scopes a `client_credentials` request gets: those it asks for, when the operator gave the
/// client every one of them; all the client's when it asks for none (RFC 6749 §3.3).
fn machine_scopes(client: &Client, requested: Option<&str>) -> Result<Vec<String>, TokenError> {
    let requested: Vec<&str> = requested.unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect();
    if requested.is_empty() {
        return Ok(client.scopes.clone());
    }
    if let Some(refused) = requested.iter().find(|asked| !client.scopes.iter().any(|given| given == *asked)) {
        return Err(TokenError::refused(
            TokenRefusal::InvalidScope,
            format!("the scope {refused:?} was not given to this client"),
        ));
    }
    // In the order the operator gave them, each once.
    Ok(client.scopes.iter().filter(|given| requested.contains(&given.as_str())).cloned().collect())
}

/// `grant_type=client_credentials` (RFC 6749 §4.4): a machine client's access token for itself,
/// with the scopes the operator gave it; no ID token (nobody signed in), no refresh token (the
/// client can ask again). Read from the database with the request, so a client deleted or given a
/// new secret is refused at once; the token is stored only while the registration is still the
/// one the request authenticated against.
pub async fn client_credentials(
    services: &Services,
    credentials: &ClientCredentials,
    scope: Option<&str>,
) -> Result<Issued, TokenError> {
    let client_id = credentials.client_id.as_deref().ok_or_else(invalid_client)?;
    let client = services.clients.refresh(&services.db, client_id).await?.ok_or_else(invalid_client)?;
    if !authenticates(&client, credentials) {
        return Err(invalid_client());
    }
    // A public client is never registered for the grant (`clients::add`): refused here.
    may_use(&client, GrantType::ClientCredentials)?;
    let secret_hash = client.secret_hash().ok_or_else(invalid_client)?;
    let scope = machine_scopes(&client, scope)?.join(" ");
    let now = services.now();
    let access_token = random_hex(32);
    let token = NewMachineToken {
        access_token: &access_token,
        client_id: &client.client_id,
        client_registered_at: client.registered_at,
        client_secret_hash: secret_hash,
        scope: &scope,
        issued_at: now,
        expires_at: now + ACCESS_TOKEN_SECONDS,
    };
    if !machine_tokens::store(&services.db, &token).await? {
        // Deleted, registered again or given a new secret between the read and the insert.
        return Err(invalid_client());
    }
    Ok(Issued { access_token, expires_in: ACCESS_TOKEN_SECONDS, id_token: None, refresh_token: None, scope })
}

/// What an introspection request (RFC 7662) is told about `token`, asked by a confidential
/// client (a resource server registers as one; any may ask). A live access token, a person's or
/// a machine client's, is `active` with its `sub`, `client_id`, `scope`, `exp`, `iat`, `iss` and
/// `token_type`; anything else (unknown, expired, revoked, a refresh token, a code) is only
/// `{"active": false}`. A machine client's `sub` is `client:` and its id
/// (`machine_tokens::subject_of`), a person's is hexadecimal: a resource server tells them apart.
pub async fn introspect(
    services: &Services,
    credentials: &ClientCredentials,
    token: Option<&str>,
) -> Result<Value, TokenError> {
    let client_id = credentials.client_id.as_deref().ok_or_else(invalid_client)?;
    let client = services.clients.refresh(&services.db, client_id).await?.ok_or_else(invalid_client)?;
    if client.is_public() || !authenticates(&client, credentials) {
        return Err(invalid_client());
    }
    let token = token.ok_or_else(|| TokenError::refused(TokenRefusal::InvalidRequest, "token is missing"))?;
    let now = services.now();
    let active = |sub: String, client_id: &str, scope: &str, issued_at: i64, expires_at: i64| {
        json!({
            "active": true,
            "sub": sub,
            "client_id": client_id,
            "scope": scope,
            "token_type": "Bearer",
            "iat": issued_at,
            "exp": expires_at,
            "iss": issuer(services),
        })
    };
    if let Some((grant, expires_at)) = grants::access(&services.db, token, now).await? {
        let Some(identity) = services.identities.get(&services.db, grant.user_id).await.map_err(AuthError::from)?
        else {
            return Ok(json!({ "active": false }));
        };
        let subject = subject::of(services, grant.user_id, identity.oidc_subject.as_deref()).await?;
        // Every access token lives `ACCESS_TOKEN_SECONDS`: it was issued that long before it expires.
        let issued_at = expires_at - ACCESS_TOKEN_SECONDS;
        return Ok(active(subject, &grant.client_id, &grant.scope, issued_at, expires_at));
    }
    if let Some(machine) = machine_tokens::find(&services.db, token, now).await? {
        let subject = machine_tokens::subject_of(&machine.client_id);
        return Ok(active(subject, &machine.client_id, &machine.scope, machine.issued_at, machine.expires_at));
    }
    Ok(json!({ "active": false }))
}

/// The ID token (OpenID Connect Core §2), signed by key `kid`.
async fn id_token(
    services: &Services,
    grant: &Grant,
    subject: String,
    identity: &Identity,
    nonce: Option<&str>,
    kid: &str,
) -> Result<String, AuthError> {
    let now = services.now();
    let mut claims = claims_of(subject, grant, identity);
    claims.insert("iss".into(), json!(issuer(services)));
    claims.insert("aud".into(), json!(grant.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ID_TOKEN_SECONDS));
    claims.insert("auth_time".into(), json!(grant.auth_time));
    claims.insert("amr".into(), json!(grant.amr.split(' ').collect::<Vec<_>>()));
    // `acr`: `key` for a sign-in with a security key or passkey (`amr` has `hwk`), the only
    // value this provider knows; so always present when an app's `acr_values=key` was met.
    if grant.amr.split(' ').any(|amr| amr == "hwk") {
        claims.insert("acr".into(), json!(super::authorization::ACR_KEY));
    }
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    let key = keys::by_kid(services, kid).await?;
    key.sign_jwt(&Value::Object(claims))
}

/// The client an ID token was issued to (`aud`), when it is a token this provider signed for
/// `subject`: its signature checked against our keys, its issuer ours. An expired one counts
/// (OpenID Connect RP-Initiated Logout §2: a logout's `id_token_hint` is often older than its
/// `exp`).
pub async fn hinted_client(services: &Services, id_token: &str, subject: &str) -> Result<Option<String>, AuthError> {
    let Some(kid) = super::signing_key::key_id_of(id_token) else { return Ok(None) };
    let Some(key) = keys::find(services, &kid).await? else { return Ok(None) };
    let Some(claims) = key.verified_claims(id_token) else { return Ok(None) };
    if claims["iss"] != issuer(services).as_str() || claims["sub"] != subject {
        return Ok(None);
    }
    Ok(match &claims["aud"] {
        Value::String(aud) => Some(aud.clone()),
        Value::Array(auds) => auds.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    })
}

/// The issuer: `PUBLIC_URL` without a trailing slash.
pub fn issuer(services: &Services) -> String {
    services.settings.public_url.trim_end_matches('/').to_owned()
}

/// `sub` and the claims of the granted scopes.
fn claims_of(subject: String, grant: &Grant, identity: &Identity) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject));
    if grant.has_scope("profile") {
        claims.insert("preferred_username".into(), json!(identity.username));
        claims.insert("name".into(), json!(identity.display_name.clone().unwrap_or_else(|| identity.username.clone())));
    }
    if grant.has_scope("email") {
        // Only a verified address is given; `email_verified` says whether there is one.
        let email = identity.verified_email();
        if let Some(email) = email {
            claims.insert("email".into(), json!(email));
        }
        claims.insert("email_verified".into(), json!(email.is_some()));
    }
    if grant.has_scope("groups") {
        claims.insert("groups".into(), json!(identity.groups));
    }
    claims
}

/// The userinfo answer for a live access token; `None` for a bad one. On SQLite the token is
/// looked up in memory after its first use (`access_cache`).
pub async fn userinfo(services: &Services, access_token: &str) -> Result<Option<Value>, AuthError> {
    let now = services.now();
    let token_hash = grants::hash(access_token);
    let outside_changes = services.identities.catch_up();
    let cached = services.identities.in_memory().then(|| services.access_tokens.get(&token_hash)).flatten();
    if let Some(entry) = cached.filter(|entry| entry.expires_at > now && entry.outside_changes == outside_changes) {
        let Some(identity) = services.identities.get(&services.db, entry.grant.user_id).await? else { return Ok(None) };
        return Ok(Some(Value::Object(claims_of(entry.subject.clone(), &entry.grant, &identity))));
    }
    let generation = services.access_tokens.generation();
    let Some((grant, expires_at)) = grants::access(&services.db, access_token, now).await? else {
        return Ok(None);
    };
    let Some(identity) = services.identities.get(&services.db, grant.user_id).await? else { return Ok(None) };
    let subject = subject::of(services, grant.user_id, identity.oidc_subject.as_deref()).await?;
    let claims = claims_of(subject.clone(), &grant, &identity);
    if services.identities.in_memory() {
        let entry = access_cache::Entry { grant, subject, expires_at, outside_changes };
        services.access_tokens.keep(token_hash, Arc::new(entry), generation);
    }
    Ok(Some(Value::Object(claims)))
}
