//! What the server runs on: the database, the session store, the key for secrets at rest, files
//! made private, the allocator's settings, logging, and mail over SMTP.

pub mod database;
pub mod encryption_key;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod private_files;
pub mod serving_lock;
pub mod session_store;
pub mod telemetry;
