//! Live access tokens kept in memory, for userinfo (apps ask it on every page of theirs): one
//! look instead of two database reads. Only where this process alone writes the database
//! (SQLite: `Identities::in_memory`). Every revocation in this process forgets the entries it
//! touches at once (every storage function that revokes tokens takes the cache); an entry kept
//! before an operator command run beside the server (client deleted, account reset or deleted)
//! is not used after it (`Entry::outside_changes`).

use crate::openid::grant::Grant;
use moka::sync::Cache;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

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

/// The kept tokens, by the token's hash (the hashes of random tokens do not collide). Owned by
/// `Services`; clones share it.
#[derive(Clone)]
pub struct AccessCache(Arc<Kept>);

struct Kept {
    entries: Cache<String, Arc<Entry>>,
    /// Raised by every `forget`: a lookup that read the database before a revocation must not
    /// keep what it read (the revocation's predicate only covers entries already kept).
    forgets: AtomicU64,
}

impl Default for AccessCache {
    fn default() -> Self {
        let entries = Cache::builder().max_capacity(CAPACITY).time_to_live(TTL).support_invalidation_closures().build();
        Self(Arc::new(Kept { entries, forgets: AtomicU64::new(0) }))
    }
}

impl AccessCache {
    pub fn get(&self, token_hash: &str) -> Option<Arc<Entry>> {
        self.0.entries.get(token_hash)
    }

    /// Read before looking in the database; pass to `keep`.
    pub fn generation(&self) -> u64 {
        self.0.forgets.load(Ordering::SeqCst)
    }

    /// Keeps what was read, unless a revocation came since `generation`.
    pub fn keep(&self, token_hash: String, entry: Arc<Entry>, generation: u64) {
        if self.generation() != generation {
            return;
        }
        self.0.entries.insert(token_hash.clone(), entry);
        // A revocation between the look above and the insert would have run its predicate
        // before the entry was there: look again, and let go of it if one did. (One that raises
        // the count after this look registers its predicate after the insert, which it then
        // covers.)
        if self.generation() != generation {
            self.0.entries.invalidate(&token_hash);
        }
    }

    /// Forgets every entry `revoked` picks.
    fn forget(&self, revoked: impl Fn(&Entry) -> bool + Send + Sync + 'static) {
        self.0.forgets.fetch_add(1, Ordering::SeqCst);
        let _ = self.0.entries.invalidate_entries_if(move |_, entry| revoked(entry));
    }

    /// After the account's tokens were revoked (its sessions ended, 2FA off, deleted).
    pub fn forget_account(&self, user_id: i64) {
        self.forget(move |entry| entry.grant.user_id == user_id);
    }

    /// After a grant's tokens were revoked.
    pub fn forget_grant(&self, grant_id: &str) {
        let grant_id = grant_id.to_owned();
        self.forget(move |entry| entry.grant.grant_id == grant_id);
    }

    /// After one app's tokens for one account were revoked (the account's owner removed its
    /// access).
    pub fn forget_app_of_account(&self, client_id: &str, user_id: i64) {
        let client_id = client_id.to_owned();
        self.forget(move |entry| entry.grant.user_id == user_id && entry.grant.client_id == client_id);
    }

    /// After a client and its tokens were deleted.
    pub fn forget_client(&self, client_id: &str) {
        let client_id = client_id.to_owned();
        self.forget(move |entry| entry.grant.client_id == client_id);
    }
}
