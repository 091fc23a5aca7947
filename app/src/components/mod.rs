//! Pieces shared by the pages.

pub mod copy_button;
pub mod hydration_marker;
pub mod layout;
pub mod local_time;
pub mod notices;
pub mod otp_field;
pub mod post_form;
pub mod reauthenticate;
