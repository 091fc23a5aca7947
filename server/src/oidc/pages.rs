//! The provider's own small pages (the sign-in stops here, the visitor is signed out).

use super::paths::END_SESSION_CONFIRM;
use app::paths;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use domain::openid::end_session::EndSessionRequest;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A small page of its own (the sign-in stops here, or the visitor is signed out).
pub(super) fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>\
         <main><h1>{title}</h1><p>{}</p><p><a href=\"{login}\">Sign in</a></p></main></html>",
        escape(message),
        login = paths::LOGIN,
    );
    (status, Html(body)).into_response()
}

/// The page that asks before a sign-out an app asked for without proving itself (`app`: the
/// client's name, when the request names a registered one): a form that posts the answer, with
/// what the redirect afterwards needs, and a way to stay signed in.
pub(super) fn confirm_sign_out(app: Option<&str>, request: &EndSessionRequest) -> Response {
    let asker = app.map_or_else(|| "An app".to_owned(), |name| format!("The app {}", escape(name)));
    let client_id = request.client_id();
    let fields: String = [
        ("client_id", client_id.as_deref()),
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
         <p><a href=\"{account}\">Stay signed in</a></p></main></html>",
        account = paths::ACCOUNT,
    );
    (StatusCode::OK, Html(body)).into_response()
}
