//! The operator's console (`docs/contract/console.md`): who may use it (`admin`), what it does
//! to people (`people`) and the invitations it makes (`invitations`). Framework-free like every
//! flow: the web layer only calls these.

pub mod admin;
pub mod apps;
pub mod invitations;
pub mod people;
pub mod rules;
