//! Test helpers, by job:
//! - `app`: the real server on port 0 with a fresh database and a manual clock (`TestApp`).
//! - `journeys`: typed calls for each step a person takes (`register`, `login`, `submit_code`,
//!   `form_post`, ...), so tests read as journeys rather than endpoint strings.
//! - `codes`: one-time codes from the independent oracle (`otp-oracle`), at the app's clock.
//! - `inspect`: reading answers and what the server stored.
//! - `mail`: a real SMTP server (aiosmtpd) the server under test sends to.

pub mod app;
pub mod codes;
pub mod inspect;
pub mod journeys;
pub mod mail;
pub mod proxies;
pub mod soft_key;

pub use app::*;
pub use codes::*;
pub use inspect::*;
