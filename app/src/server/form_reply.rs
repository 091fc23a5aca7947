//! Where a browser without JavaScript goes after posting a form, and what that page says. Each
//! server function decides its own: `FormPost::on(page)` names the page its form is on (a failure
//! returns there, with the message), and `next(page, message)` where a success goes. A script's
//! request (JSON) is not affected: it gets the JSON answer as it is.
//!
//! The API transport (`server/src/api_transport`) marks a plain form post — `Accept` names HTML
//! and not JSON — with `PlainFormPost` in the request's extensions.

use crate::{
    api::Flash,
    server::{flash, response_options},
};
use http::header;
use leptos::prelude::{provide_context, use_context};

/// The request is a browser's plain form post (JavaScript off); the flash cookie of its answer
/// is `Secure` when the site's cookies are.
#[derive(Debug, Clone, Copy)]
pub struct PlainFormPost {
    pub secure_cookies: bool,
}

/// The page whose form the server function answers: a failure goes back there.
#[derive(Debug, Clone, Copy)]
struct FormPage(&'static str);

/// The answer to a form, for a browser without JavaScript.
pub struct FormPost {
    plain: Option<PlainFormPost>,
}

impl FormPost {
    /// The server function's form is on `page`.
    pub fn on(page: &'static str) -> Self {
        provide_context(FormPage(page));
        Self { plain: plain_form_post() }
    }

    /// Whether the browser posted the form without JavaScript (it then follows a redirect).
    pub fn is_plain(&self) -> bool {
        self.plain.is_some()
    }

    /// Success: on to `page`, which shows `message` once.
    pub fn next(&self, page: &'static str, message: Option<&str>) {
        if let Some(post) = self.plain {
            redirect(post, page, message.map(|m| Flash { is_error: false, message: m.to_owned() }));
        }
    }

    /// Success: back to the page of ours the form was sent from (`Referer`, among `pages`), or
    /// `fallback`: re-authentication returns to the page that asked for it.
    pub fn back(&self, pages: &[&'static str], fallback: &'static str, message: Option<&str>) {
        self.next(referring_page(pages).unwrap_or(fallback), message)
    }
}

/// A failure (called by the `From<AuthError>` conversion): back to the form's page, with the
/// message. Without a form page (a server function that is no form's) nothing changes.
pub fn failed(message: &str) {
    if let Some(FormPage(page)) = use_context::<FormPage>() {
        if let Some(post) = plain_form_post() {
            redirect(post, page, Some(Flash { is_error: true, message: message.to_owned() }));
        }
    }
}

fn plain_form_post() -> Option<PlainFormPost> {
    use_context::<http::request::Parts>()?.extensions.get::<PlainFormPost>().copied()
}

fn redirect(post: PlainFormPost, location: &'static str, message: Option<Flash>) {
    let flash::SeeOther { status, location, cookie } =
        flash::see_other_parts(location, message.as_ref(), post.secure_cookies);
    response_options::set_status(status);
    response_options::insert_header(header::LOCATION, location);
    if let Some(cookie) = cookie {
        response_options::append_header(header::SET_COOKIE, cookie);
    }
}

/// The page of ours that sent the form (browsers send `Referer` within the site:
/// `Referrer-Policy: same-origin`), among `pages`.
fn referring_page(pages: &[&'static str]) -> Option<&'static str> {
    let parts = use_context::<http::request::Parts>()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    let path = referer.split_once("://")?.1.strip_prefix(host)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    pages.iter().copied().find(|page| *page == path)
}
