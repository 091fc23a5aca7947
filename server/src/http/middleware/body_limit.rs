//! A body over 64 KiB gets 413 — after the body is drained, so the client hears the answer. The
//! API's bodies are a few form fields: nothing legitimate comes near the limit.

use super::json_errors::json_error;
use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, StatusCode},
    response::Response,
};
use http_body_util::BodyExt;

pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How much of an oversized body is read (and thrown away) before answering 413. Past this the
/// connection is closed instead: nobody sends 16 MiB to a sign-in form by mistake.
const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The request with its body read (at most 64 KiB), or the answer that refuses it.
pub async fn within_limit(request: Request) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    // A body declared empty needs no reading (hyper holds the client to its Content-Length).
    if parts.headers.get(header::CONTENT_LENGTH).is_some_and(|length| length == "0") {
        return Ok(Request::from_parts(parts, Body::empty()));
    }
    let mut body = body;
    let mut buffer = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(json_error(StatusCode::BAD_REQUEST, "The request body could not be read."));
        };
        if let Ok(data) = frame.into_data() {
            if buffer.len() + data.len() > MAX_BODY_BYTES {
                drain(body).await;
                return Err(json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The request is too large (the limit is 64 KiB).",
                ));
            }
            buffer.extend_from_slice(&data);
        }
    }
    Ok(Request::from_parts(parts, Body::from(Bytes::from(buffer))))
}

/// Reads a body to its end (up to 16 MiB) and throws it away.
pub async fn drain(mut body: Body) {
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |d| d.len());
        if seen > MAX_DRAIN_BYTES {
            break;
        }
    }
}
