//! Live access tokens kept in memory, for userinfo (apps ask it on every page of theirs): one
//! look instead of two database reads. Only where this process alone writes the database
//! (SQLite: `Identities::in_memory`). Every revocation in this process forgets the entries it
//! touches at once; an entry kept before an operator command run beside the server (client
//! deleted, account reset or deleted) is not used after it (`Entry::outside_changes`).

use crate::openid::grant::Grant;
use moka::sync::Cache;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

/// Raised by every `forget`: a lookup that read the database before a revocation must not keep
/// what it read (the revocation's predicate only covers entries already kept).
static FORGETS: AtomicU64 = AtomicU64::new(0);

/// What a token stands for, and the account's subject.
pub struct Entry {
    pub grant: Grant,
    pub subject: String,
    pub expires_at: i64,
    /// How many operator commands had run beside the server when the entry was read
    /// (`Identities::catch_up`): it holds only while that is still the number.
    pub outside_changes: u64,
}

const TTL: Duration = Duration::from_secs(1);
const CAPACITY: u64 = 100_000;

/// By the token's hash (process-wide: the hashes of random tokens do not collide).
fn cache() -> &'static Cache<String, Arc<Entry>> {
    static CACHE: OnceLock<Cache<String, Arc<Entry>>> = OnceLock::new();
    CACHE.get_or_init(|| {
        Cache::builder().max_capacity(CAPACITY).time_to_live(TTL).support_invalidation_closures().build()
    })
}

pub fn get(token_hash: &str) -> Option<Arc<Entry>> {
    cache().get(token_hash)
}

/// Read before looking in the database; pass to `keep`.
pub fn generation() -> u64 {
    FORGETS.load(Ordering::SeqCst)
}

/// Keeps what was read, unless a revocation came since `generation`.
pub fn keep(token_hash: String, entry: Arc<Entry>, generation: u64) {
    if FORGETS.load(Ordering::SeqCst) != generation {
        return;
    }
    cache().insert(token_hash.clone(), entry);
    // A revocation between the look above and the insert would have run its predicate before
    // the entry was there: look again, and let go of it if one did. (One that raises the count
    // after this look registers its predicate after the insert, which it then covers.)
    if FORGETS.load(Ordering::SeqCst) != generation {
        cache().invalidate(&token_hash);
    }
}

/// Forgets every entry `revoked` picks.
pub fn forget(revoked: impl Fn(&Entry) -> bool + Send + Sync + 'static) {
    FORGETS.fetch_add(1, Ordering::SeqCst);
    let _ = cache().invalidate_entries_if(move |_, entry| revoked(entry));
}
