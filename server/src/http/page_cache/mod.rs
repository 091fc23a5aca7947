//! Pages kept in memory (see `docs/caches.md`): the anonymous pages, rendered once per build, and
//! the account page, kept per account; both are filled in from one `template` per request.

pub mod anonymous;
pub mod signed_in;
pub mod template;
