//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3).

use super::{
    answers::cors,
    paths::{AUTHORIZE, END_SESSION, INTROSPECT, JWKS, TOKEN, USERINFO},
};
use app::server::state::AppState;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use domain::openid::{
    authorization::{self},
    tokens::{self},
};
use serde_json::json;

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
            "introspection_endpoint": format!("{issuer}{INTROSPECT}"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "scopes_supported": authorization::SCOPES,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr",
                "preferred_username", "name", "email", "email_verified", "groups"],
            "prompt_values_supported": ["none", "login"],
            "acr_values_supported": authorization::ACR_VALUES,
        }))
        .into_response(),
    )
}
