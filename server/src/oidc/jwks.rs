//! `GET /oidc/jwks`: the public keys ID tokens are signed with.

use super::{answers::cors, errors::server_error};
use app::server::state::AppState;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::store::keys;
use serde_json::json;

pub async fn jwks(State(state): State<AppState>) -> Response {
    let keys = match keys::all(&state).await {
        Ok(keys) => keys,
        Err(e) => return server_error(e),
    };
    let published: Result<Vec<_>, _> = keys.iter().map(|key| key.public_jwk()).collect();
    match published {
        Ok(published) => cors(Json(json!({ "keys": published })).into_response()),
        Err(e) => server_error(e),
    }
}
