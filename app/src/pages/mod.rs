//! One component per page of `docs/contract/pages.md`. Which visitor may see which page is decided on the
//! server before the page renders (the server's page guard); the pages only show.

pub mod account;
pub mod account_apps;
pub mod account_profile;
pub mod account_sessions;
pub mod console;
pub mod console_apps;
pub mod console_person;
pub mod forgot_password;
pub mod home;
pub mod invitation;
pub mod login;
pub mod login_second_factor;
pub mod not_found;
pub mod register;
pub mod reset_password;
pub mod two_factor_setup;
pub mod verify_email;
