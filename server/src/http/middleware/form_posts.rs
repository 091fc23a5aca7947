//! How a browser sent a form: with JavaScript off it asks for HTML and not for JSON; with
//! JavaScript on, the page's script says `X-In-Page: 1`. Such requests are marked
//! (`FormPostKind`), so the server function answers with the next page
//! (`app::server::form_reply`); and every request reaches the server functions asking for JSON,
//! or the server-function layer would answer with a redirect of its own.

use app::server::form_reply::FormPostKind;
use axum::{
    extract::Request,
    http::{header, HeaderValue},
};

pub fn mark(mut request: Request, secure_cookies: bool) -> Request {
    // Forms post; a GET (the forward-auth gate, say) keeps the `Accept` it came with.
    if request.method() == axum::http::Method::GET || request.method() == axum::http::Method::HEAD {
        return request;
    }
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (plain, asks_for_html) = (is_plain_form_post(accept), accept.contains("text/html"));
    let in_page = request.headers().get("x-in-page").is_some_and(|v| v == "1");
    if plain {
        request.extensions_mut().insert(FormPostKind::Plain { secure_cookies });
    } else if in_page {
        request.extensions_mut().insert(FormPostKind::InPage { secure_cookies });
    }
    if asks_for_html {
        request.headers_mut().insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    }
    request
}

fn is_plain_form_post(accept: &str) -> bool {
    accept.contains("text/html") && !accept.contains("application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_posting_forms_want_html_and_scripts_do_not() {
        assert!(is_plain_form_post("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!is_plain_form_post("application/json"));
        assert!(!is_plain_form_post("*/*"));
        assert!(!is_plain_form_post(""));
    }
}
