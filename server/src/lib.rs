//! The axum server of the two-factor sign-in app, as a library so tests start the real thing.
//!
//! - `config`: the environment, checked up front.
//! - `database`: the SQLite pool and migrations.
//! - `encryption_key`: the key for TOTP secrets at rest, loaded and checked at start-up.
//! - `private_files`: secret files made private (0600/0700) and kept out of the site root.
//! - `session_store`: sessions by a hash of their id, idle timeout, absolute lifetime.
//! - `startup`: `Application::build(config)` then `run_until_stopped()`.
//! - `router`: the routes and the layers around them, in order.
//! - `api_guard`: what every `/api/*` request passes (cross-site refusal, body limit, JSON
//!   errors, and the 303 answer for plain form posts).
//! - `page_guard`: who may see which page (redirects to `/login` or `/login/2fa`).
//! - `cli`, `operator`: the subcommands for operators (`server --help`).
//! - `security_headers`, `static_files`, `health`.

mod anonymous_page_cache;
mod api_guard;
pub mod cli;
pub mod config;
pub mod database;
pub mod encryption_key;
mod health;
pub mod memory;
pub mod operator;
mod page_guard;
pub mod private_files;
mod router;
mod security_headers;
pub mod session_store;
mod startup;
mod static_files;
pub mod telemetry;

pub use startup::{Application, StartupError};
