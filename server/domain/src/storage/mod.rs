//! All SQL of the sign-in, one module per table family. Every function takes the time it
//! needs as a parameter (`now`): storage never reads a clock.

pub mod accounts;
pub mod admin_log;
pub mod app_passwords;
pub mod email_links;
pub mod enrollments;
pub mod identities;
pub mod invitations;
pub mod kept_app_passwords;
pub mod outbox;
pub mod outside_changes;
pub mod people;
pub mod remembered_devices;
pub mod security_keys;
pub mod security_log;
pub mod sessions;
pub mod throttle;
