//! Integration tests: the real server on port 0 with a fresh SQLite file (or PostgreSQL
//! database) and a manual clock, driven over HTTP by a cookie-keeping client with redirects off.
//! Codes come from `otp-oracle`, an independent RFC 6238 implementation, never from the app's
//! own code, at the server's clock: a test moves the clock instead of waiting for a time-step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account_sessions;
mod app_passwords;
mod attack_resistance;
mod console;
mod crafted_targets;
mod email_verification;
mod encryption_at_rest;
mod forward_auth;
mod fuzz;
mod health;
mod helpers;
mod holding_against_theft;
mod in_page_forms;
mod invitations_by_mail;
mod kept_account_page;
mod mail;
mod managing_two_factor;
mod multi_instance;
mod networks;
mod no_javascript;
mod openid_app_groups;
mod openid_codes;
mod openid_connect;
mod openid_machine_clients;
mod operating;
mod otp_policy;
mod pages;
mod passkeys;
mod password_reset;
mod profile;
mod registration;
mod remembered_devices;
mod request_hygiene;
mod rule_demands;
mod security_keys;
mod sign_in;
mod single_use;
mod through_proxies;
mod two_factor_setup;
