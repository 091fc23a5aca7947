//! The provider's own small pages (the sign-in stops here, the visitor is signed out).

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A small page of its own (the sign-in stops here, or the visitor is signed out).
pub(super) fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>\
         <main><h1>{title}</h1><p>{}</p><p><a href=\"/login\">Sign in</a></p></main></html>",
        escape(message)
    );
    (status, Html(body)).into_response()
}
