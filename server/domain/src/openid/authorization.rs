//! The authorization request (RFC 6749 §4.1, OpenID Connect Core §3.1.2) and where it leads: an
//! error page (a client or redirect URI not registered: never a redirect), an error back to the
//! client (among them `access_denied`: the account is not in the groups the app is open to), a
//! sign-in step first, or a code.

use super::{
    codes::{Code, CodeBinding},
    errors::AuthorizeError,
    grant::Grant,
    store::{
        clients::{self, ClientPolicy},
        subject,
    },
};
use crate::{credentials::secret_box::random_hex, error::AuthError, services::Services, visitor::Visitor};

/// A code lives this long (`docs/contract/oidc.md`).
pub const CODE_SECONDS: i64 = 60;
/// The scopes granted when asked for; others are dropped.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];

/// The one `acr` value this provider knows (`acr_values_supported`, `docs/contract/oidc.md`): a
/// sign-in whose second factor was a security key or a passkey (`Factors::with_key`). Asked for in
/// `acr_values`, it is required, not voluntary: a sign-in without a key asks for a fresh one with a
/// key, and an app never gets a code for less.
pub const ACR_KEY: &str = "key";
/// `acr_values_supported`.
pub const ACR_VALUES: [&str; 1] = [ACR_KEY];

/// The request's parameters as sent.
#[derive(Default, Debug, Clone, serde::Deserialize)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    /// Space-separated; only `ACR_KEY` means anything here (others are ignored).
    pub acr_values: Option<String>,
    /// Not the app's: the id of the fresh sign-in this request waits for (see `FRESH_SIGN_IN`).
    pub fresh_sign_in: Option<String>,
}

/// The parameter the way back to an authorization request carries when it forced a fresh
/// sign-in (`prompt=login`, `max_age`): the request waits for that sign-in
/// (`flows::session::FreshSignIn`), not for the session's older one, which stays meanwhile.
pub const FRESH_SIGN_IN: &str = "fresh_sign_in";

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 400, a page: the client is unknown or the redirect URI is not registered for it.
    ErrorPage(String),
    /// Back to the client with `error` (RFC 6749 §4.1.2.1).
    ErrorRedirect { redirect_uri: String, error: AuthorizeError, description: String, state: Option<String> },
    /// Sign in first. `fresh`: a fresh sign-in is wanted (`prompt=login`, `max_age`), under this
    /// id; the current sign-in stays until it completes, and counts for nothing meanwhile.
    SignIn { fresh: Option<String> },
    /// The code step first.
    SecondFactor,
    /// The client asks for two factors and the account has none: the setup first.
    SetUpTwoFactor,
    /// The code, back to the client.
    Code { redirect_uri: String, code: String, state: Option<String> },
}

/// The `error_description` of `access_denied`: the app that refused, and who it is open to.
fn closed_to_others(app: &str, allowed_groups: &[String]) -> String {
    format!("{app} is open only to members of: {}", allowed_groups.join(", "))
}

/// A PKCE S256 challenge: BASE64URL(SHA-256(verifier)), 43 characters (RFC 7636 §4.2).
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `fresh_sign_in_done`: the fresh sign-in the request waits for (`fresh_sign_in`) has completed
/// in the visitor's session.
pub async fn authorize(
    services: &Services,
    request: &AuthorizationRequest,
    visitor: &Visitor,
    fresh_sign_in_done: bool,
) -> Result<Outcome, AuthError> {
    let client_id = request.client_id.as_deref().unwrap_or_default();
    let Some(client) = clients::find(&services.db, client_id).await? else {
        return Ok(Outcome::ErrorPage("This app is not registered here (unknown client_id).".into()));
    };
    let Some(redirect_uri) = request.redirect_uri.clone().filter(|uri| client.redirect_uris.contains(uri)) else {
        return Ok(Outcome::ErrorPage(format!(
            "The redirect_uri is not one registered for {}: the sign-in stops here.",
            client.name
        )));
    };
    let state = request.state.clone();
    let error = |error: AuthorizeError, description: &str| {
        Ok(Outcome::ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description: description.into(),
            state: state.clone(),
        })
    };
    match request.response_type.as_deref() {
        Some("code") => {}
        // RFC 6749 §4.1.2.1: a missing parameter is a malformed request; another value, one
        // this server does not offer.
        None | Some("") => return error(AuthorizeError::InvalidRequest, "response_type is missing (it must be code)"),
        Some(_) => return error(AuthorizeError::UnsupportedResponseType, "only response_type=code is supported"),
    }
    let asked: Vec<&str> = request.scope.as_deref().unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect();
    if !asked.contains(&"openid") {
        return error(AuthorizeError::InvalidScope, "the scope must contain openid");
    }
    match (request.code_challenge.as_deref(), request.code_challenge_method.as_deref()) {
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {}
        (Some(_), Some("S256")) => {
            return error(AuthorizeError::InvalidRequest, "code_challenge is not an S256 challenge")
        }
        (Some(_), _) | (None, Some(_)) => {
            return error(AuthorizeError::InvalidRequest, "only code_challenge_method=S256 is supported")
        }
        (None, None) if client.is_public() => {
            return error(AuthorizeError::InvalidRequest, "a public client must use PKCE (S256)")
        }
        (None, None) => {}
    }
    let prompts: Vec<&str> =
        request.prompt.as_deref().unwrap_or_default().split(' ').filter(|p| !p.is_empty()).collect();
    let silent = prompts.contains(&"none");
    if silent && prompts.len() > 1 {
        // OpenID Connect Core §3.1.2.1: `none` with any other value is an error.
        return error(AuthorizeError::InvalidRequest, "prompt=none cannot be combined with another prompt");
    }
    let max_age = match request.max_age.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(seconds)) if seconds >= 0 => Some(seconds),
        Some(_) => return error(AuthorizeError::InvalidRequest, "max_age must be a number of seconds"),
    };
    // A request that asks for a fresh sign-in keeps asking for the same one on its way back.
    let fresh = || request.fresh_sign_in.clone().unwrap_or_else(|| random_hex(16));
    let signed_in = match visitor {
        Visitor::Anonymous | Visitor::PendingExpired if silent => {
            return error(AuthorizeError::LoginRequired, "the visitor is not signed in")
        }
        // Any sign-in from here is fresh; a request that already waits for one goes on waiting
        // for it (the session that asked may have ended meanwhile).
        Visitor::Anonymous | Visitor::PendingExpired => {
            return Ok(Outcome::SignIn { fresh: request.fresh_sign_in.clone() })
        }
        Visitor::Pending { .. } if silent => {
            return error(AuthorizeError::LoginRequired, "the sign-in is not complete")
        }
        Visitor::Pending { .. } => return Ok(Outcome::SecondFactor),
        Visitor::SignedIn(signed_in) => signed_in,
    };
    let auth_time = signed_in.authenticated_at;
    // The sign-in that completed after a request forced one is fresh whatever its age (it may
    // have taken longer than `max_age`); until then, the session's sign-in counts for nothing
    // here, though it stays for everything else.
    let done = request.fresh_sign_in.is_some() && fresh_sign_in_done;
    let too_old = max_age.is_some_and(|max_age| services.now() - auth_time > max_age);
    // `acr_values=key` is met only by a sign-in with a key; a session without one is treated as
    // one too old: a fresh sign-in (its second step offers the key), the session kept meanwhile.
    let wants_key = request.acr_values.as_deref().unwrap_or_default().split(' ').any(|value| value == ACR_KEY);
    let key_unmet = wants_key && !signed_in.factors.with_key();
    let forced = prompts.contains(&"login") || too_old || key_unmet || request.fresh_sign_in.is_some();
    if forced && !done {
        if silent {
            return error(AuthorizeError::LoginRequired, "a fresh sign-in is needed");
        }
        return Ok(Outcome::SignIn { fresh: Some(fresh()) });
    }
    if key_unmet {
        // The fresh sign-in is done, and was made without a key (the account may have none).
        return error(AuthorizeError::AccessDenied, "this app asks for a sign-in with a security key or passkey");
    }
    // Who the app is open to, once it is known who signed in (whatever the factors: a second one
    // would not change the answer), from the registration just read, never from a kept copy.
    if !client.admits(&signed_in.identity.groups) {
        return error(AuthorizeError::AccessDenied, &closed_to_others(&client.name, &client.allowed_groups));
    }
    if (client.policy == ClientPolicy::TwoFactor || signed_in.owes_second_factor()) && !signed_in.factors.two() {
        if silent {
            // The contract's code for any session not good enough for the client.
            return error(AuthorizeError::LoginRequired, "this app needs two-factor authentication");
        }
        return Ok(Outcome::SetUpTwoFactor);
    }
    let scope: Vec<&str> = SCOPES.into_iter().filter(|s| asked.contains(s)).collect();
    let grant = Grant {
        grant_id: random_hex(16),
        client_id: client.client_id.clone(),
        user_id: signed_in.user_id,
        scope: scope.join(" "),
        auth_time,
        amr: signed_in.factors.amr().join(" "),
    };
    let binding = CodeBinding {
        redirect_uri: redirect_uri.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
    };
    // The account gets its `sub` now (on first use), and the code carries it: the exchange needs
    // no write for it, and is bound to it.
    let subject = subject::of(services, signed_in.user_id, signed_in.identity.oidc_subject.as_deref()).await?;
    let code = Code {
        grant,
        subject,
        binding,
        client_registered_at: client.registered_at,
        session_epoch: signed_in.identity.session_epoch,
        expires_at: services.now() + CODE_SECONDS,
    }
    .seal(&services.code_sealing)?;
    Ok(Outcome::Code { redirect_uri, code, state })
}
