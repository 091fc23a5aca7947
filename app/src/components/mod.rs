//! Pieces shared by the pages, rendered on the server only (the interactive ones are in
//! `islands/`).

pub mod account_nav;
pub mod layout;
pub mod notices;
pub mod post_form;
pub mod reauthenticate;
pub mod return_to;
