//! `GET /oidc/authorize` (RFC 6749 §4.1.1): where the session stands, the domain's outcome, and
//! the redirect it leads to.

use super::{answers::with_query, errors::server_error, pages::page, paths::AUTHORIZE};
use app::paths;
use app::server::{session::RequestSession, state::AppState};
use axum::{
    extract::{Query, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use domain::{
    flows::session::{self, SessionData},
    openid::authorization::{self, AuthorizationRequest, Outcome},
    request_target::encode_component,
    visitor::Visitor,
};
use tower_sessions::Session;

/// The visitor, and whether the fresh sign-in the request waits for (if any) is done.
async fn visitor(
    state: &AppState,
    session: &RequestSession,
    fresh_sign_in: Option<&str>,
) -> Result<(Visitor, bool), domain::AuthError> {
    let visitor = Visitor::of(state, session).await?;
    let done = match fresh_sign_in {
        Some(id) => session::fresh_sign_in_done(session, id).await?,
        None => false,
    };
    Ok((visitor, done))
}

/// The authorization request again, to come back to after a sign-in step. `prompt` and `max_age`
/// are taken out: a fresh sign-in they asked for is named by `fresh` instead (the request waits
/// for that one), and a `max_age` kept would ask for yet another one whenever the sign-in took
/// longer than it (with `max_age=0`, always).
pub(super) fn come_back(raw_query: &str, fresh: Option<&str>) -> String {
    let taken_out = ["prompt", "max_age", authorization::FRESH_SIGN_IN];
    let kept: Vec<&str> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !taken_out.contains(&pair.split_once('=').map_or(*pair, |(name, _)| name)))
        .collect();
    let fresh = fresh.map(|id| format!("{}={}", authorization::FRESH_SIGN_IN, encode_component(id)));
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
        Ok((visitor, done)) => authorization::authorize(&state, &request, &visitor, done).await,
        Err(e) => Err(e),
    };
    let raw_query = raw_query.unwrap_or_default();
    let next = |page: &str, fresh: Option<&str>| {
        Redirect::to(&format!("{page}?rd={}", encode_component(&come_back(&raw_query, fresh))))
    };
    let waiting = request.fresh_sign_in.as_deref();
    match outcome {
        Err(e) => server_error(e),
        Ok(Outcome::ErrorPage(message)) => page(StatusCode::BAD_REQUEST, "This sign-in cannot go on", &message),
        Ok(Outcome::ErrorRedirect { redirect_uri, error, description, state }) => Redirect::to(&with_query(
            &redirect_uri,
            &[("error", Some(error.code())), ("error_description", Some(&description)), ("state", state.as_deref())],
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
            next(paths::LOGIN, fresh.as_deref()).into_response()
        }
        Ok(Outcome::SecondFactor) => next(paths::SECOND_FACTOR, waiting).into_response(),
        Ok(Outcome::SetUpTwoFactor) => next(paths::TWO_FACTOR_SETUP, waiting).into_response(),
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
