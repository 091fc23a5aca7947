//! Everything that runs in the browser: the islands (`#[island]`, WebAssembly), hydrated on pages
//! that are otherwise plain server-rendered HTML, and the in-page navigation script
//! (`navigation.js`) and the security-key ceremonies (`security_keys.js`). Anything not in this folder never runs in the browser.

pub mod copy_button;
pub mod error_notice;
pub mod hydration_marker;
pub mod local_time;
pub mod navigation;
pub mod otp_field;
pub mod security_keys;
