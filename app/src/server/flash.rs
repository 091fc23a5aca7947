//! One-shot messages for pages reached by a plain form post (JavaScript off): the API answers
//! such a post with a 303 and a short-lived `flash` cookie; the next page shows the message and
//! clears the cookie. With JavaScript on, messages come from the JSON answer instead.

use crate::{api::Flash, server::response_options};
use http::{header, HeaderValue, StatusCode};
use leptos::prelude::use_context;

pub const COOKIE_NAME: &str = "flash";

/// The `Set-Cookie` value that carries a message to the next page; `Secure` when the session
/// cookie is (the site is served over https).
pub fn set_cookie(flash: &Flash, secure: bool) -> Option<HeaderValue> {
    let kind = if flash.is_error { "e" } else { "s" };
    let message: String = form_urlencoded::byte_serialize(flash.message.as_bytes()).collect();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={kind}.{message}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// A 303 to `location` carrying `message` to it, in one place for both ways it is sent: the
/// status and headers, for a page a visitor may not see (`see_other`) and for a server
/// function's answer to a plain form post (`form_reply`).
pub struct SeeOther {
    pub status: StatusCode,
    pub location: HeaderValue,
    pub cookie: Option<HeaderValue>,
}

pub fn see_other_parts(location: &str, message: Option<&Flash>, secure: bool) -> SeeOther {
    SeeOther {
        status: StatusCode::SEE_OTHER,
        // Locations are our own pages or a checked `rd` (`domain::flows::return_to`).
        location: HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/")),
        cookie: message.and_then(|m| set_cookie(m, secure)),
    }
}

/// The 303 as an axum response.
pub fn see_other(location: &str, message: Option<&Flash>, secure: bool) -> axum::response::Response {
    use axum::response::IntoResponse;
    let SeeOther { status, location, cookie } = see_other_parts(location, message, secure);
    let mut response = (status, [(header::LOCATION, location)]).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The flash cookie a request carries, if any (a page with one is never taken from a cache).
pub fn cookie_value(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .find_map(|pair| pair.strip_prefix("flash="))
}

fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static("flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure")
    } else {
        HeaderValue::from_static("flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    }
}

fn parse(value: &str) -> Option<Flash> {
    let (kind, encoded) = value.split_once('.')?;
    let message: String =
        form_urlencoded::parse(format!("m={encoded}").as_bytes()).next().map(|(_, v)| v.into_owned())?;
    if message.is_empty() || message.len() > 500 {
        return None;
    }
    Some(Flash { is_error: kind != "s", message })
}

/// The message left for the page being rendered, if any; it is cleared so it shows once.
pub fn take(secure: bool) -> Option<Flash> {
    let parts = use_context::<http::request::Parts>()?;
    let cookie = cookie_value(&parts.headers)?;
    response_options::append_header(header::SET_COOKIE, clear_cookie(secure));
    parse(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_survives_the_cookie_round_trip() {
        let flash = Flash { is_error: true, message: "Wrong username or password; try again.".into() };
        let header = set_cookie(&flash, false).unwrap();
        let value = header.to_str().unwrap().split(';').next().unwrap().strip_prefix("flash=").unwrap();
        assert_eq!(parse(value), Some(flash));
    }
}
