//! The layers a request passes before its handler, in the order `http::router` composes them.

pub mod body_limit;
pub mod cross_site;
pub mod form_posts;
pub mod json_errors;
pub mod page_access;
pub mod request_id;
pub mod security_headers;
pub mod verify_email;
pub mod wrong_method;
