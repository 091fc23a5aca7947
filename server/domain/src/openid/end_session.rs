//! Ending a session at an app's request (OpenID Connect RP-Initiated Logout 1.0). A link or a
//! redirect from anywhere reaches the endpoint, so the session ends at once only when the app
//! proves it is one the person signed in to (a valid `id_token_hint`); otherwise the person is
//! asked. Afterwards the browser goes back to the app only to a URI registered for it.

use super::{
    store::clients::{self, Client},
    tokens,
};
use crate::{error::AuthError, services::Services, visitor::Visitor};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// The request as sent (query or confirmation form).
#[derive(serde::Deserialize, Default, Debug, Clone)]
pub struct EndSessionRequest {
    pub client_id: Option<String>,
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

impl EndSessionRequest {
    /// The client the request is for: the one it names, else the one its hint was issued to
    /// (read without checking the signature: it only picks which registered URIs may follow).
    pub fn client_id(&self) -> Option<String> {
        self.client_id.clone().or_else(|| self.id_token_hint.as_deref().and_then(audience_of))
    }
}

/// What the request leads to.
#[derive(Debug)]
pub enum EndSession {
    /// The app proved itself: end the session, and go on.
    SignOut,
    /// Nobody is signed in: go on.
    NothingToEnd,
    /// Ask the person first; `app` is the client's registration, when the request names one
    /// (boxed: a registration is far larger than the other variants).
    Ask { app: Option<Box<Client>> },
}

pub async fn decide(
    services: &Services,
    visitor: &Visitor,
    request: &EndSessionRequest,
) -> Result<EndSession, AuthError> {
    let identity = match visitor {
        Visitor::SignedIn(signed_in) => &signed_in.identity,
        Visitor::Pending { identity, .. } => identity,
        Visitor::Anonymous | Visitor::PendingExpired => return Ok(EndSession::NothingToEnd),
    };
    if let (Some(hint), Some(subject)) = (request.id_token_hint.as_deref(), identity.oidc_subject.as_deref()) {
        let hinted = tokens::hinted_client(services, hint, subject).await?;
        let named = request.client_id.as_deref();
        if hinted.is_some_and(|hinted| named.is_none_or(|named| named == hinted)) {
            return Ok(EndSession::SignOut);
        }
    }
    let app = match request.client_id() {
        Some(client_id) => clients::find(&services.db, &client_id).await?.map(Box::new),
        None => None,
    };
    Ok(EndSession::Ask { app })
}

/// Where the browser goes after the sign-out: the app's `post_logout_redirect_uri` when it is
/// registered for the client (`None`: the provider's own "signed out" page).
pub async fn return_uri(services: &Services, request: &EndSessionRequest) -> Option<String> {
    let (client_id, uri) = (request.client_id()?, request.post_logout_redirect_uri.as_deref()?);
    let client = clients::find(&services.db, &client_id).await.ok()??;
    client.post_logout_redirect_uris.iter().any(|registered| registered == uri).then(|| uri.to_owned())
}

/// The client an ID token names (`aud`), read without checking the signature.
fn audience_of(id_token: &str) -> Option<String> {
    let claims = id_token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    match &claims["aud"] {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(auds) => auds.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}
