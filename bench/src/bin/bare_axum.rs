//! The HTTP stack's ceiling: axum answering a constant body, nothing else (no middleware, no
//! database, no rendering). With `--sign`, a process of its own answers `POST /sign` with one
//! RS256 signature per request (the same OpenSSL call the server makes for an ID token) and
//! nothing else: what HTTP and the load generator leave of the raw signature ceiling on the same
//! cores. Binds 127.0.0.1 on a free port and prints it on the first line.

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    routing::{get, post},
    Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use domain::openid::signing_key::rs256;
use openssl::{
    pkey::{PKey, Private},
    rsa::Rsa,
};
use std::sync::Arc;

/// An ID-token-sized message: the request's body, padded to the ~400 bytes of a signing input.
async fn sign(State(key): State<Arc<PKey<Private>>>, body: Bytes) -> Result<String, StatusCode> {
    let mut message = body.to_vec();
    message.resize(message.len().max(400), b'x');
    let signature = rs256(&key, &message).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(URL_SAFE_NO_PAD.encode(signature))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = if std::env::args().any(|arg| arg == "--sign") {
        let key = Rsa::generate(2048).and_then(PKey::from_rsa).map_err(std::io::Error::other)?;
        Router::new().route("/sign", post(sign)).with_state(Arc::new(key))
    } else {
        Router::new().route("/", get(|| async { "ok" }))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    axum::serve(listener, app).await
}
