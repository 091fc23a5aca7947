//! `GET /oidc/logout` and its confirmation (OpenID Connect RP-Initiated Logout 1.0); what they
//! decide is `domain::openid::end_session`.

use super::{answers::with_query, errors::server_error, pages};
use app::server::{session::RequestSession, state::AppState};
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use domain::{
    flows::session::SessionData,
    openid::end_session::{self, EndSession, EndSessionRequest},
    visitor::Visitor,
};
use tower_sessions::Session;

/// `GET /oidc/logout`: the session ends at once for an app that proved itself; otherwise the
/// person is asked, and their answer is a same-origin form post (`END_SESSION_CONFIRM`). A
/// browser with no sign-in has nothing to end.
pub async fn end_session(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    request: Result<Query<EndSessionRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(request) = request.unwrap_or_default();
    let session = RequestSession::new(session, None);
    let decided = match Visitor::of(&state, &session).await {
        Ok(visitor) => end_session::decide(&state, &visitor, &request).await,
        Err(e) => Err(e),
    };
    match decided {
        Err(e) => server_error(e),
        Ok(EndSession::Ask { app }) => pages::confirm_sign_out(app.map(|app| app.name).as_deref(), &request),
        Ok(EndSession::SignOut) => signed_out(&state, &session, &request).await,
        Ok(EndSession::NothingToEnd) => back_to_the_app(&state, &request).await,
    }
}

/// `POST /oidc/logout/confirm`: the person's answer to the confirmation page. Behind the
/// cross-site refusal like every state-changing request, so only a page of this site can send it.
pub async fn confirm_end_session(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    form: Result<axum::Form<EndSessionRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(request)) = form else {
        return pages::page(StatusCode::BAD_REQUEST, "This sign-out cannot go on", "The request is malformed.");
    };
    signed_out(&state, &RequestSession::new(session, None), &request).await
}

/// Ends the session, then back to the app when its URI is registered, else a page saying so.
async fn signed_out(state: &AppState, session: &RequestSession, request: &EndSessionRequest) -> Response {
    if let Err(e) = session.end().await {
        return server_error(e);
    }
    back_to_the_app(state, request).await
}

async fn back_to_the_app(state: &AppState, request: &EndSessionRequest) -> Response {
    match end_session::return_uri(state, request).await {
        Some(uri) => Redirect::to(&with_query(&uri, &[("state", request.state.as_deref())])).into_response(),
        None => pages::page(
            StatusCode::OK,
            "You are signed out",
            "You are signed out of this service and the apps that use it.",
        ),
    }
}
