//! Everything that ships to the browser as WebAssembly: the islands (`#[island]`), hydrated on
//! pages that are otherwise plain server-rendered HTML. Anything not in this folder never runs
//! in the browser.

pub mod copy_button;
pub mod error_notice;
pub mod hydration_marker;
pub mod local_time;
pub mod otp_field;
