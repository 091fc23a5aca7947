//! What the provider keeps: the registered apps (and, in `apps`, how the operator and the
//! console change them, forgetting what is kept in memory), the sealed signing keys, the tokens
//! (as hashes) with the single use of codes and the statement that exchanges them, each
//! account's `sub`, and live access tokens kept in memory on SQLite. All SQL of the provider is here; the
//! algorithms beside this folder decide, and call these to read and write.

pub mod access_cache;
pub mod apps;
pub mod clients;
pub mod exchange_writer;
pub mod grants;
pub mod keys;
pub mod machine_tokens;
pub mod opened_keys;
pub mod subject;
