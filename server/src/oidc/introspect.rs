//! `POST /oidc/introspect` (RFC 7662): a resource server, registered as a confidential client,
//! asks whether an access token is live and whose it is. The form is read as the token
//! endpoint's (each parameter once, one way of authenticating); what is answered is the domain's
//! (`tokens::introspect`).

use super::{answers::token_answer, errors::token_error, token::read_token_request};
use app::server::state::AppState;
use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::tokens;

pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (form, credentials) = match read_token_request(&headers, &body) {
        Ok(read) => read,
        Err(e) => return token_error(e),
    };
    match tokens::introspect(&state, &credentials, form.token()).await {
        Ok(answer) => token_answer(Json(answer).into_response()),
        Err(e) => token_error(e),
    }
}
