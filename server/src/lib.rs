//! The axum server of the two-factor sign-in app, as a library so tests start the real thing.
//!
//! - `config`: the environment, checked up front.
//! - `database`: the SQLite pool and migrations.
//! - `encryption_key`: the key for TOTP secrets at rest, loaded and checked at start-up.
//! - `private_files`: secret files made private (0600/0700) and kept out of the site root.
//! - `session_store`: sessions by a hash of their id, idle timeout, absolute lifetime.
//! - `startup`: `Application::build(config)` then `run_until_stopped()`.
//! - `router`: the routes and the layers around them, composed in order (see its diagram):
//!   `cross_site` (403 for another site's posts), `body_limit` (413), `form_posts` (marks a
//!   browser's plain form post), `json_errors` (`{"error"}` bodies), `page_access` (who may see
//!   which page), `security_headers` with the `anonymous_page_cache`.
//! - `startup_error`: what stops the server starting, each with its cause.
//! - `cli`, `operator`: the subcommands for operators (`server --help`).
//! - `security_headers`, `static_files`, `health`.

mod anonymous_page_cache;
mod body_limit;
pub mod cli;
pub mod config;
mod cross_site;
pub mod database;
pub mod encryption_key;
mod form_posts;
pub mod forward_auth;
mod health;
mod json_errors;
pub mod memory;
pub mod openid_provider;
pub mod operator;
mod page_access;
mod page_template;
pub mod private_files;
mod router;
mod security_headers;
pub mod session_store;
mod signed_in_page_cache;
mod startup;
pub mod startup_error;
mod static_files;
pub mod telemetry;
mod wrong_method;

pub use startup::Application;
pub use startup_error::StartupError;
