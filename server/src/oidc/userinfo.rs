//! `GET`/`POST /oidc/userinfo` (OpenID Connect Core §5.3): the claims of a valid access token.

use super::{answers::cors, credentials::credentials_after, errors::server_error};
use app::server::state::AppState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::tokens::{self};
use serde_json::json;

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
