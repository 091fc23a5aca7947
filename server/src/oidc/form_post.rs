//! `POST` to the authorization or end-session endpoint: the same request as its `GET`.

use super::pages::page;
use axum::{
    http::{StatusCode, Uri},
    response::{IntoResponse, Redirect, Response},
};

/// The longest form a `POST` to the authorization or end-session endpoint may carry: it becomes
/// a URL, and browsers and proxies refuse longer ones.
pub(super) const MOST_FORM_BYTES: usize = 8 * 1024;

/// `POST` to the authorization or end-session endpoint. OpenID Connect Core §3.1.2.1 and
/// RP-Initiated Logout §2 ask for `POST` beside `GET`; it is the same request, so it is answered
/// with a 303 to the `GET` whose query is the form. It reads no session and changes nothing,
/// which is why it is routed outside the gate: an app posts it from its own origin.
pub async fn post_as_get(uri: Uri, body: axum::body::Bytes) -> Response {
    if body.len() > MOST_FORM_BYTES {
        let message = "The request from the app is too long: send it as a GET.";
        return page(StatusCode::PAYLOAD_TOO_LARGE, "This request cannot go on", message);
    }
    // Parsed and written again: the URL then holds only what a URL may.
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(form_urlencoded::parse(&body)).finish();
    Redirect::to(&format!("{}?{query}", uri.path())).into_response()
}
