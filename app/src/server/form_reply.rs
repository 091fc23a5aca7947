//! Where a browser goes after posting a form, and what that page says. Each server function
//! decides its own: `FormPost::on(page)` names the page its form is on (a failure returns there,
//! with the message), and `next(page, message)` where a success goes.
//!
//! Three kinds of request reach a server function (`server/src/form_posts.rs` tells them apart
//! and marks the request with `FormPostKind`):
//! - a plain form post (JavaScript off): the answer is a 303 to the next page, the message in a
//!   one-shot flash cookie; a failure goes back to the form's page with its message;
//! - a form sent in the page (JavaScript on, `X-In-Page: 1`, JSON asked for): the JSON answer,
//!   plus `X-Next-Page` naming the page the script moves to and the flash for it; a failure is
//!   the JSON error, shown in place;
//! - a script's request: the JSON answer as it is.

use crate::{
    api::Flash,
    server::{flash, response_options},
};
use http::header;
use leptos::prelude::{provide_context, use_context};

/// How a browser sent a form; the flash cookie of the answer is `Secure` when the site's cookies
/// are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormPostKind {
    /// JavaScript off: the browser follows a redirect.
    Plain { secure_cookies: bool },
    /// JavaScript on: the page's script sent it and moves to the next page itself.
    InPage { secure_cookies: bool },
}

/// The header naming the page a form sent in the page moves to.
pub const NEXT_PAGE_HEADER: &str = "x-next-page";

/// The page whose form the server function answers: a failure goes back there.
#[derive(Debug, Clone)]
struct FormPage(String);

/// The answer to a form sent by a browser.
pub struct FormPost {
    kind: Option<FormPostKind>,
}

impl FormPost {
    /// The server function's form is on `page`.
    pub fn on(page: &'static str) -> Self {
        provide_context(FormPage(page.to_owned()));
        Self { kind: form_post_kind() }
    }

    /// The server function's form is on a page whose path is made per request (a person's page
    /// in the console, an invitation's).
    pub fn on_path(page: String) -> Self {
        provide_context(FormPage(page));
        Self { kind: form_post_kind() }
    }

    /// The server function's form is on whichever of `pages` sent it (`Referer`, a person's page
    /// in the console too), else on `fallback`: a form several pages show (re-authentication)
    /// fails back to its own page.
    pub fn on_sending_page(pages: &[&'static str], fallback: &'static str) -> Self {
        Self::on_path(referring_page(pages).unwrap_or_else(|| fallback.to_owned()))
    }

    /// A failure goes back to the form's page with `rd` (when valid) still on it: a visitor
    /// without JavaScript who mistypes a password or a code keeps where they were going.
    pub fn carrying(self, rd: Option<&domain::flows::return_to::ReturnTo>) -> Self {
        if let Some(FormPage(page)) = use_context::<FormPage>() {
            provide_context(FormPage(domain::flows::return_to::carried(&page, rd)));
        }
        self
    }

    /// Whether a browser sent the form (with or without JavaScript): the next page, not the JSON
    /// answer, shows the outcome (recovery codes, say).
    pub fn shows_next_page(&self) -> bool {
        self.kind.is_some()
    }

    /// Success: on to `page`, which shows `message` once.
    pub fn next(&self, page: &str, message: Option<&str>) {
        let message = message.map(|m| Flash { is_error: false, message: m.to_owned() });
        match self.kind {
            Some(FormPostKind::Plain { secure_cookies }) => redirect(secure_cookies, page, message),
            Some(FormPostKind::InPage { secure_cookies }) => {
                let parts = flash::see_other_parts(page, message.as_ref(), secure_cookies);
                response_options::insert_header(header::HeaderName::from_static(NEXT_PAGE_HEADER), parts.location);
                if let Some(cookie) = parts.cookie {
                    response_options::append_header(header::SET_COOKIE, cookie);
                }
            }
            None => {}
        }
    }

    /// Success: back to the page of ours the form was sent from (`Referer`, among `pages`), or
    /// `fallback`: re-authentication returns to the page that asked for it.
    pub fn back(&self, pages: &[&'static str], fallback: &'static str, message: Option<&str>) {
        self.next(&referring_page(pages).unwrap_or_else(|| fallback.to_owned()), message)
    }
}

/// A failure (called by the `From<AuthError>` conversion): back to the form's page, with the
/// message. Without a form page (a server function that is no form's) nothing changes.
pub fn failed(message: &str) {
    if let Some(FormPage(page)) = use_context::<FormPage>() {
        if let Some(FormPostKind::Plain { secure_cookies }) = form_post_kind() {
            redirect(secure_cookies, &page, Some(Flash { is_error: true, message: message.to_owned() }));
        }
    }
}

fn form_post_kind() -> Option<FormPostKind> {
    use_context::<http::request::Parts>()?.extensions.get::<FormPostKind>().copied()
}

fn redirect(secure_cookies: bool, location: &str, message: Option<Flash>) {
    let flash::SeeOther { status, location, cookie } =
        flash::see_other_parts(location, message.as_ref(), secure_cookies);
    response_options::set_status(status);
    response_options::insert_header(header::LOCATION, location);
    if let Some(cookie) = cookie {
        response_options::append_header(header::SET_COOKIE, cookie);
    }
}

/// The page of ours that sent the form (browsers send `Referer` within the site:
/// `Referrer-Policy: same-origin`), among `pages` or a person's page in the console.
fn referring_page(pages: &[&'static str]) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    let path = referer.split_once("://")?.1.strip_prefix(host)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let person_page = path.strip_prefix(crate::paths::CONSOLE_PERSON_PREFIX).is_some_and(|name| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'%'))
    });
    pages.iter().copied().find(|page| *page == path).map(str::to_owned).or_else(|| person_page.then(|| path.to_owned()))
}
