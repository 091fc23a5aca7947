//! `POST /oidc/token` (RFC 6749 §4.1.3, §6, §4.4): the form read strictly, then the domain's
//! exchange, refresh or client credentials grant.

use super::{answers::token_answer, credentials::basic_credentials, errors::token_error};
use app::server::state::AppState;
use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::tokens::{self, ClientCredentials, Issued, TokenError, TokenRefusal};
use serde_json::json;

/// The token request's form (RFC 6749 §4.1.3, §6, §4.4).
#[derive(Default)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    /// `client_credentials`: the scopes asked for (space-separated).
    scope: Option<String>,
    /// Introspection (RFC 7662): the token asked about. (`token_type_hint` is ignored: only
    /// access tokens are ever `active`.)
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl TokenForm {
    /// The token an introspection request asks about.
    pub(super) fn token(&self) -> Option<&str> {
        self.token.as_deref().filter(|token| !token.is_empty())
    }
}

pub(super) fn invalid_request(description: String) -> TokenError {
    TokenError::refused(TokenRefusal::InvalidRequest, description)
}

/// The token request's form and the client's credentials. A parameter given twice is refused
/// (RFC 6749 §3.2), and so is a client that authenticates both ways at once (§2.3) or names
/// another client in the body than in `Authorization`.
pub(super) fn read_token_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(TokenForm, ClientCredentials), TokenError> {
    let mut form = TokenForm::default();
    for (name, value) in form_urlencoded::parse(body) {
        let field = match name.as_ref() {
            "grant_type" => &mut form.grant_type,
            "code" => &mut form.code,
            "redirect_uri" => &mut form.redirect_uri,
            "code_verifier" => &mut form.code_verifier,
            "refresh_token" => &mut form.refresh_token,
            "scope" => &mut form.scope,
            "token" => &mut form.token,
            "client_id" => &mut form.client_id,
            "client_secret" => &mut form.client_secret,
            _ => continue,
        };
        if field.replace(value.into_owned()).is_some() {
            return Err(invalid_request(format!("{name} is given more than once")));
        }
    }
    let Some((client_id, secret)) = basic_credentials(headers) else {
        let credentials = ClientCredentials { client_id: form.client_id.clone(), secret: form.client_secret.clone() };
        return Ok((form, credentials));
    };
    if form.client_secret.is_some() {
        return Err(invalid_request(
            "the client authenticated twice: use Authorization or client_secret, not both".into(),
        ));
    }
    if form.client_id.as_ref().is_some_and(|named| *named != client_id) {
        return Err(invalid_request("client_id is not the client named in Authorization".into()));
    }
    Ok((form, ClientCredentials { client_id: Some(client_id), secret: Some(secret) }))
}

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (form, credentials) = match read_token_request(&headers, &body) {
        Ok(read) => read,
        Err(e) => return token_error(e),
    };
    let issued = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            tokens::exchange_code(
                &state,
                &credentials,
                form.code.as_deref(),
                form.redirect_uri.as_deref(),
                form.code_verifier.as_deref(),
            )
            .await
        }
        Some("refresh_token") => tokens::refresh(&state, &credentials, form.refresh_token.as_deref()).await,
        Some("client_credentials") => tokens::client_credentials(&state, &credentials, form.scope.as_deref()).await,
        None | Some("") => Err(invalid_request(
            "grant_type is missing (authorization_code, refresh_token or client_credentials)".into(),
        )),
        _ => Err(TokenError::refused(
            TokenRefusal::UnsupportedGrantType,
            "grant_type must be authorization_code, refresh_token or client_credentials",
        )),
    };
    let grant = match form.grant_type.as_deref() {
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        _ => "other",
    };
    let outcome = match &issued {
        Ok(_) => "issued",
        Err(TokenError::Refused { refusal, .. }) => refusal.code(),
        Err(TokenError::Failed(_)) => "failed",
    };
    metrics::counter!("oidc_token_requests_total", "grant" => grant, "outcome" => outcome).increment(1);
    match issued {
        Ok(Issued { access_token, expires_in, id_token, refresh_token, scope }) => {
            let mut answer = json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": expires_in,
            });
            if let Some(id_token) = id_token {
                answer["id_token"] = json!(id_token);
            }
            // A machine client given no scope gets none: no `scope` then (RFC 6749 §5.1).
            if !scope.is_empty() || answer.get("id_token").is_some() {
                answer["scope"] = json!(scope);
            }
            if let Some(refresh_token) = refresh_token {
                answer["refresh_token"] = json!(refresh_token);
            }
            token_answer(Json(answer).into_response())
        }
        Err(e) => token_error(e),
    }
}
