//! The status and headers of the response a server function is answering with (leptos_axum's
//! `ResponseOptions`); nothing happens outside a request.

use http::{HeaderName, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub fn set_status(status: StatusCode) {
    if let Some(options) = use_context::<ResponseOptions>() {
        options.set_status(status);
    }
}

pub fn insert_header(name: HeaderName, value: HeaderValue) {
    if let Some(options) = use_context::<ResponseOptions>() {
        options.insert_header(name, value);
    }
}

pub fn append_header(name: HeaderName, value: HeaderValue) {
    if let Some(options) = use_context::<ResponseOptions>() {
        options.append_header(name, value);
    }
}
