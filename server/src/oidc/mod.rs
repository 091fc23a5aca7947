//! The OpenID Connect provider's endpoints (API.md, "Apps with their own sign-in"); what they
//! decide is `domain::openid`. Discovery, JWKS, token and userinfo are for other origins by
//! design: no `Origin` refusal, `Access-Control-Allow-Origin: *`, and no cookies read.

use app::server::{session::RequestSession, state::AppState};
use axum::{
    extract::{Query, RawQuery, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode, Uri},
    response::{Html, IntoResponse, Redirect, Response},
    Extension, Json,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use domain::{
    flows::{
        current_user, return_to,
        session::{self, SessionData, Stage},
    },
    openid::{
        authorization::{self, AuthorizationRequest, Outcome, Visitor},
        clients, keys,
        tokens::{self, ClientCredentials, Issued, TokenError},
    },
};
use serde_json::json;
use tower_sessions::Session;

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const AUTHORIZE: &str = "/oidc/authorize";
pub const TOKEN: &str = "/oidc/token";
pub const USERINFO: &str = "/oidc/userinfo";
pub const JWKS: &str = "/oidc/jwks";
pub const END_SESSION: &str = "/oidc/logout";
/// Where the page that asks "sign out?" posts its answer (a same-origin form post).
pub const END_SESSION_CONFIRM: &str = "/oidc/logout/confirm";

pub(crate) fn cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    // A script on another origin may read why userinfo refused its token.
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("WWW-Authenticate"));
    response
}

/// A token endpoint answer: never cached (RFC 6749 §5.1 asks for `Pragma: no-cache` beside the
/// `Cache-Control: no-store` every answer of this server carries, for HTTP/1.0 caches).
fn token_answer(mut response: Response) -> Response {
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    cors(response)
}

/// A CORS preflight for the cross-origin endpoints.
pub async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

pub async fn discovery(State(state): State<AppState>) -> Response {
    let issuer = tokens::issuer(&state);
    cors(
        Json(json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}{AUTHORIZE}"),
            "token_endpoint": format!("{issuer}{TOKEN}"),
            "userinfo_endpoint": format!("{issuer}{USERINFO}"),
            "jwks_uri": format!("{issuer}{JWKS}"),
            "end_session_endpoint": format!("{issuer}{END_SESSION}"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "scopes_supported": authorization::SCOPES,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr",
                "preferred_username", "name", "email", "email_verified", "groups"],
            "prompt_values_supported": ["none", "login"],
        }))
        .into_response(),
    )
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    let keys = match keys::all(&state.db, &state.secret_box).await {
        Ok(keys) => keys,
        Err(e) => return server_error(e),
    };
    let published: Result<Vec<_>, _> = keys.iter().map(|key| key.public_jwk()).collect();
    match published {
        Ok(published) => cors(Json(json!({ "keys": published })).into_response()),
        Err(e) => server_error(e),
    }
}

fn server_error(e: domain::AuthError) -> Response {
    tracing::error!(error = %e, "OpenID Connect endpoint failed");
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")]).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A small page of its own (the sign-in stops here, or the visitor is signed out).
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>\
         <main><h1>{title}</h1><p>{}</p><p><a href=\"/login\">Sign in</a></p></main></html>",
        escape(message)
    );
    (status, Html(body)).into_response()
}

/// `uri` with query parameters added.
fn with_query(uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let query: Vec<String> =
        pairs.iter().filter_map(|(k, v)| v.map(|v| format!("{k}={}", return_to::encode(v)))).collect();
    if query.is_empty() {
        return uri.to_owned();
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.join("&"))
}

/// Where the session stands; `fresh_sign_in`: the fresh sign-in the request waits for, if any.
async fn visitor(
    state: &AppState,
    session: &RequestSession,
    fresh_sign_in: Option<&str>,
) -> Result<Visitor, domain::AuthError> {
    Ok(match session::stage(session, state.now()).await? {
        Stage::SignedIn { user_id, authenticated_at, epoch } => {
            match current_user::identity_at_epoch(state, user_id, epoch).await? {
                Some(identity) => Visitor::SignedIn {
                    user_id,
                    two_factor_on: identity.two_factor,
                    security_key: session.signed_in_with_key().await?,
                    auth_time: authenticated_at,
                    session_epoch: epoch,
                    oidc_subject: identity.oidc_subject.clone(),
                    fresh_sign_in_done: match fresh_sign_in {
                        Some(id) => session::fresh_sign_in_done(session, id).await?,
                        None => false,
                    },
                },
                None => Visitor::Anonymous,
            }
        }
        Stage::PendingSecondFactor { .. } => Visitor::PendingSecondFactor,
        Stage::Anonymous | Stage::PendingExpired => Visitor::Anonymous,
    })
}

/// The authorization request again, to come back to after a sign-in step. `prompt` and `max_age`
/// are taken out: a fresh sign-in they asked for is named by `fresh` instead (the request waits
/// for that one), and a `max_age` kept would ask for yet another one whenever the sign-in took
/// longer than it (with `max_age=0`, always).
fn come_back(raw_query: &str, fresh: Option<&str>) -> String {
    let taken_out = ["prompt", "max_age", authorization::FRESH_SIGN_IN];
    let kept: Vec<&str> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !taken_out.contains(&pair.split_once('=').map_or(*pair, |(name, _)| name)))
        .collect();
    let fresh = fresh.map(|id| format!("{}={}", authorization::FRESH_SIGN_IN, return_to::encode(id)));
    let query: Vec<&str> = kept.into_iter().chain(fresh.as_deref()).collect();
    format!("{AUTHORIZE}?{}", query.join("&"))
}

pub async fn authorize(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    RawQuery(raw_query): RawQuery,
    request: Result<Query<AuthorizationRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(request)) = request else {
        return page(StatusCode::BAD_REQUEST, "This sign-in cannot go on", "The request from the app is malformed.");
    };
    let session = RequestSession::new(session, None);
    let outcome = match visitor(&state, &session, request.fresh_sign_in.as_deref()).await {
        Ok(visitor) => authorization::authorize(&state, &request, visitor).await,
        Err(e) => Err(e),
    };
    let raw_query = raw_query.unwrap_or_default();
    let next = |page: &str, fresh: Option<&str>| {
        Redirect::to(&format!("{page}?rd={}", return_to::encode(&come_back(&raw_query, fresh))))
    };
    let waiting = request.fresh_sign_in.as_deref();
    match outcome {
        Err(e) => server_error(e),
        Ok(Outcome::ErrorPage(message)) => page(StatusCode::BAD_REQUEST, "This sign-in cannot go on", &message),
        Ok(Outcome::ErrorRedirect { redirect_uri, error, description, state }) => Redirect::to(&with_query(
            &redirect_uri,
            &[("error", Some(error)), ("error_description", Some(&description)), ("state", state.as_deref())],
        ))
        .into_response(),
        Ok(Outcome::SignIn { fresh }) => {
            // The session's sign-in stays (an app, or a page linking here, cannot end it); the
            // way back waits for the new one.
            if let Some(id) = fresh.as_deref() {
                if let Err(e) = session::ask_fresh_sign_in(&session, id).await {
                    return server_error(e);
                }
            }
            next("/login", fresh.as_deref()).into_response()
        }
        Ok(Outcome::SecondFactor) => next("/login/2fa", waiting).into_response(),
        Ok(Outcome::SetUpTwoFactor) => next("/account/2fa/setup", waiting).into_response(),
        Ok(Outcome::Code { redirect_uri, code, state }) => {
            // A fresh sign-in gives one code: the way back used again asks for another.
            if waiting.is_some() {
                if let Err(e) = session.set_fresh_sign_in(None).await {
                    return server_error(e);
                }
            }
            Redirect::to(&with_query(&redirect_uri, &[("code", Some(&code)), ("state", state.as_deref())]))
                .into_response()
        }
    }
}

/// The longest form a `POST` to the authorization or end-session endpoint may carry: it becomes
/// a URL, and browsers and proxies refuse longer ones.
const MOST_FORM_BYTES: usize = 8 * 1024;

/// `POST` to the authorization or end-session endpoint. OpenID Connect Core §3.1.2.1 and
/// RP-Initiated Logout §2 ask for `POST` beside `GET`; it is the same request, so it is answered
/// with a 303 to the `GET` whose query is the form. It reads no session and changes nothing,
/// which is why it is routed outside the gate: an app posts it from its own origin.
pub async fn post_as_get(uri: Uri, body: axum::body::Bytes) -> Response {
    if body.len() > MOST_FORM_BYTES {
        let message = "The request from the app is too long: send it as a GET.";
        return page(StatusCode::PAYLOAD_TOO_LARGE, "This request cannot go on", message);
    }
    // Parsed and written again: the URL then holds only what a URL may.
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(form_urlencoded::parse(&body)).finish();
    Redirect::to(&format!("{}?{query}", uri.path())).into_response()
}

/// The token request's form (RFC 6749 §4.1.3, §6).
#[derive(Default)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn token_error(e: TokenError) -> Response {
    if let Some(unexpected) = e.unexpected {
        return server_error(unexpected);
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, Json(json!({ "error": e.error, "error_description": e.description }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"token\""));
    }
    token_answer(response)
}

/// The credentials of an `Authorization` header with `scheme` (compared without regard to case,
/// RFC 9110 §11.1), trimmed.
fn credentials_after<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| credentials.trim())
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = credentials_after(headers, "Basic")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

fn invalid_request(description: String) -> TokenError {
    TokenError { error: "invalid_request", description, unexpected: None }
}

/// The token request's form and the client's credentials. A parameter given twice is refused
/// (RFC 6749 §3.2), and so is a client that authenticates both ways at once (§2.3) or names
/// another client in the body than in `Authorization`.
fn read_token_request(headers: &HeaderMap, body: &[u8]) -> Result<(TokenForm, ClientCredentials), TokenError> {
    let mut form = TokenForm::default();
    for (name, value) in form_urlencoded::parse(body) {
        let field = match name.as_ref() {
            "grant_type" => &mut form.grant_type,
            "code" => &mut form.code,
            "redirect_uri" => &mut form.redirect_uri,
            "code_verifier" => &mut form.code_verifier,
            "refresh_token" => &mut form.refresh_token,
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
        None | Some("") => Err(TokenError {
            error: "invalid_request",
            description: "grant_type is missing (authorization_code or refresh_token)".into(),
            unexpected: None,
        }),
        _ => Err(TokenError {
            error: "unsupported_grant_type",
            description: "grant_type must be authorization_code or refresh_token".into(),
            unexpected: None,
        }),
    };
    match issued {
        Ok(Issued { access_token, expires_in, id_token, refresh_token, scope }) => {
            let mut answer = json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "id_token": id_token,
                "scope": scope,
            });
            if let Some(refresh_token) = refresh_token {
                answer["refresh_token"] = json!(refresh_token);
            }
            token_answer(Json(answer).into_response())
        }
        Err(e) => token_error(e),
    }
}

pub async fn userinfo(State(state): State<AppState>, request: Request) -> Response {
    let bearer = credentials_after(request.headers(), "Bearer").map(str::to_owned);
    let invalid = || {
        let mut response = (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_token" }))).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
        cors(response)
    };
    let Some(bearer) = bearer.filter(|b| !b.is_empty()) else { return invalid() };
    match tokens::userinfo(&state, &bearer).await {
        Ok(Some(claims)) => cors(Json(claims).into_response()),
        Ok(None) => invalid(),
        Err(e) => server_error(e),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct EndSessionRequest {
    client_id: Option<String>,
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The client an ID token names (`aud`), read without checking the signature: it only picks
/// which registered URIs may be redirected to.
fn audience_of(id_token: &str) -> Option<String> {
    let claims = id_token.split('.').nth(1)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    match &claims["aud"] {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(auds) => auds.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Whether `hint` is an ID token we signed for the account signed in on this browser (and, when
/// the request names a client too, for that client): only then may an app end the session
/// without asking the person (RP-Initiated Logout §2).
async fn hint_is_for(
    state: &AppState,
    hint: Option<&str>,
    client_id: Option<&str>,
    user_id: i64,
) -> Result<bool, domain::AuthError> {
    let Some(hint) = hint else { return Ok(false) };
    let identity = state.identities.get(&state.db, user_id).await?;
    let Some(subject) = identity.as_ref().and_then(|identity| identity.oidc_subject.clone()) else { return Ok(false) };
    let hinted = tokens::hinted_client(state, hint, &subject).await?;
    Ok(hinted.is_some_and(|hinted| client_id.is_none_or(|named| named == hinted)))
}

/// `GET /oidc/logout`. A link or a redirect from anywhere reaches it, so it ends the session
/// only when the app proves it is one the person signed in to (a valid `id_token_hint`);
/// otherwise it asks the person, whose answer is a same-origin form post
/// (`END_SESSION_CONFIRM`). A browser with no sign-in has nothing to end.
pub async fn end_session(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    request: Result<Query<EndSessionRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(request) = request.unwrap_or_default();
    let session = RequestSession::new(session, None);
    let client_id = request.client_id.clone().or_else(|| request.id_token_hint.as_deref().and_then(audience_of));
    let signed_in = match session::stage(&session, state.now()).await {
        Ok(Stage::SignedIn { user_id, .. } | Stage::PendingSecondFactor { user_id, .. }) => Some(user_id),
        Ok(Stage::Anonymous | Stage::PendingExpired) => None,
        Err(e) => return server_error(e),
    };
    if let Some(user_id) = signed_in {
        match hint_is_for(&state, request.id_token_hint.as_deref(), request.client_id.as_deref(), user_id).await {
            Ok(true) => {}
            Ok(false) => return confirmation_page(&state, client_id.as_deref(), &request).await,
            Err(e) => return server_error(e),
        }
        if let Err(e) = session.end().await {
            return server_error(e);
        }
    }
    signed_out(&state, client_id.as_deref(), request.post_logout_redirect_uri.as_deref(), request.state.as_deref())
        .await
}

/// `POST /oidc/logout/confirm`: the person's answer to the confirmation page. Behind the
/// cross-site refusal like every state-changing request, so only a page of this site can send it.
pub async fn confirm_end_session(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    form: Result<axum::Form<EndSessionRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(form)) = form else {
        return page(StatusCode::BAD_REQUEST, "This sign-out cannot go on", "The request is malformed.");
    };
    if let Err(e) = RequestSession::new(session, None).end().await {
        return server_error(e);
    }
    signed_out(&state, form.client_id.as_deref(), form.post_logout_redirect_uri.as_deref(), form.state.as_deref()).await
}

/// After a sign-out: back to the app at `uri` (with `state`) when it is registered for the
/// client, else a page saying so.
async fn signed_out(state: &AppState, client_id: Option<&str>, uri: Option<&str>, app_state: Option<&str>) -> Response {
    if let (Some(client_id), Some(uri)) = (client_id, uri) {
        if let Ok(Some(client)) = clients::find(&state.db, client_id).await {
            if client.post_logout_redirect_uris.iter().any(|registered| registered == uri) {
                return Redirect::to(&with_query(uri, &[("state", app_state)])).into_response();
            }
        }
    }
    page(StatusCode::OK, "You are signed out", "You are signed out of this service and the apps that use it.")
}

/// The page that asks before a sign-out an app asked for without proving itself: a form that
/// posts the answer, with what the redirect afterwards needs, and a way to stay signed in.
async fn confirmation_page(state: &AppState, client_id: Option<&str>, request: &EndSessionRequest) -> Response {
    let app = match client_id {
        Some(client_id) => clients::find(&state.db, client_id).await.ok().flatten().map(|client| client.name),
        None => None,
    };
    let asker = app.map_or_else(|| "An app".to_owned(), |name| format!("The app {}", escape(&name)));
    let fields: String = [
        ("client_id", client_id),
        ("post_logout_redirect_uri", request.post_logout_redirect_uri.as_deref()),
        ("state", request.state.as_deref()),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.map(|value| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value)))
    })
    .collect();
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Sign out?</title>\
         <main><h1>Sign out?</h1><p>{asker} asks to sign you out of this service and of the apps that use it. \
         Sign out only if you asked for it.</p>\
         <form method=\"post\" action=\"{END_SESSION_CONFIRM}\">{fields}<button type=\"submit\">Sign out</button></form>\
         <p><a href=\"/account\">Stay signed in</a></p></main></html>"
    );
    (StatusCode::OK, Html(body)).into_response()
}
