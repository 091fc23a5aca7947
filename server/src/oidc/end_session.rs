//! `GET /oidc/logout` and its confirmation (OpenID Connect RP-Initiated Logout 1.0).

use super::{
    answers::with_query,
    errors::server_error,
    pages::{escape, page},
    END_SESSION_CONFIRM,
};
use app::server::{session::RequestSession, state::AppState};
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    Extension,
};
use base64::Engine;
use domain::{
    flows::session::{self, SessionData, Stage},
    openid::{store::clients, tokens},
};
use tower_sessions::Session;

#[derive(serde::Deserialize, Default)]
pub struct EndSessionRequest {
    client_id: Option<String>,
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The client an ID token names (`aud`), read without checking the signature: it only picks
/// which registered URIs may be redirected to.
pub(super) fn audience_of(id_token: &str) -> Option<String> {
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
pub(super) async fn hint_is_for(
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
pub(super) async fn signed_out(
    state: &AppState,
    client_id: Option<&str>,
    uri: Option<&str>,
    app_state: Option<&str>,
) -> Response {
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
pub(super) async fn confirmation_page(
    state: &AppState,
    client_id: Option<&str>,
    request: &EndSessionRequest,
) -> Response {
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
