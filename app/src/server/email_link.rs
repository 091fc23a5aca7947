//! What a followed verification link came to when it verified nothing: put on the request by the
//! server (`server/src/http/middleware/verify_email.rs`, which answers the link before its page
//! renders), read by the page `/verify-email/{token}`, which shows the words with the status.

use http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRefused {
    pub status: StatusCode,
    /// For the person: why nothing changed, and what to do.
    pub message: String,
}

/// The refusal on the request of the page being rendered, if any.
pub fn of_this_request() -> Option<LinkRefused> {
    leptos::prelude::use_context::<http::request::Parts>()?.extensions.get::<LinkRefused>().cloned()
}
