//! The axum server of the two-factor sign-in app, as a library so tests start the real thing.
//! Laid out by job (`docs/architecture.md` walks through it):
//!
//! - `startup`: the settings from the environment (`config`), `Application::build(config)` then
//!   `run_until_stopped()`, and what stops the server starting (`error`).
//! - `http`: the router and the layers around the routes (`middleware`), the kept pages
//!   (`page_cache`), static files and the health check.
//! - `gate`: the forward-auth endpoints that proxies ask for every request to a protected app.
//! - `oidc`: the OpenID Connect provider's endpoints, one file per endpoint.
//! - `infra`: the database, the session store, the key for secrets at rest, private files, the
//!   allocator's settings and logging.
//! - `operator`: the command line and its subcommands (`server --help`).

pub mod gate;
pub mod http;
pub mod infra;
pub mod oidc;
pub mod operator;
pub mod startup;

pub use startup::{error::StartupError, Application};
