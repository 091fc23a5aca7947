//! What the gate keeps in memory of app passwords where one process owns the database (SQLite),
//! so that a request carrying a right app password costs no database read (with PostgreSQL,
//! several instances: nothing is kept, every check reads the database).
//!
//! - **Rows, by lookup**, each with its owner's session epoch read in the same statement. A kept
//!   row counts only while the owner's identity (`storage::identities`, itself kept and
//!   forgotten on every change) is at that epoch: every change that revokes all of an account's
//!   app passwords (a password reset, 2FA turned off or reset, disabling) raises the epoch in
//!   the same transaction, so a kept row never outlives its revocation. "Revoke" forgets its
//!   row here at once; a new app password forgets its lookup (kept rows are of one row only).
//!   Staleness: none within this process; an operator's command beside it is seen as the
//!   identities see it (at once through `outside_changes`, within a second at worst).
//! - **Throttle keys found clear**, with the number of password failures this process had
//!   written when the read began: such a key stays clear until a failure is written (only
//!   failures make a key throttled; time and the operator only clear them), which raises the
//!   number (`failure_written`) and so outdates every key kept clear.

use super::app_passwords::Stored;
use moka::sync::Cache;
use std::sync::{
    atomic::{AtomicI64, AtomicU64, Ordering},
    Arc,
};

const CAPACITY: u64 = 10_000;

/// A row kept, with its owner's epoch when it was read, and its last use as recorded.
pub struct KeptRow {
    pub row: Stored,
    pub epoch: i64,
    last_used_at: AtomicI64,
}

impl KeptRow {
    pub fn new(row: Stored, epoch: i64) -> Self {
        let last_used_at = AtomicI64::new(row.last_used_at.unwrap_or(i64::MIN / 2));
        Self { row, epoch, last_used_at }
    }

    /// Whether a use at `now` should be written (none within `every` seconds); if so, it is
    /// noted as written.
    pub fn use_to_record(&self, now: i64, every: i64) -> bool {
        let last = self.last_used_at.load(Ordering::Acquire);
        last <= now - every
            && self.last_used_at.compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }
}

#[derive(Clone)]
pub struct KeptAppPasswords {
    rows: Option<Cache<String, Arc<KeptRow>>>,
    clear: Option<Cache<String, u64>>,
    failures: Arc<AtomicU64>,
}

impl KeptAppPasswords {
    /// `in_memory`: this process alone writes the database (SQLite).
    pub fn new(in_memory: bool) -> Self {
        Self {
            rows: in_memory.then(|| Cache::builder().max_capacity(CAPACITY).build()),
            clear: in_memory.then(|| Cache::builder().max_capacity(CAPACITY).build()),
            failures: Arc::default(),
        }
    }

    pub fn row(&self, lookup: &str) -> Option<Arc<KeptRow>> {
        self.rows.as_ref()?.get(lookup)
    }

    /// Keeps `row` (the only one of `lookup`).
    pub fn keep(&self, lookup: &str, row: Arc<KeptRow>) {
        if let Some(rows) = &self.rows {
            rows.insert(lookup.to_owned(), row);
        }
    }

    /// The row of `lookup` changed or is gone.
    pub fn forget(&self, lookup: &str) {
        if let Some(rows) = &self.rows {
            rows.invalidate(lookup);
        }
    }

    /// The number of password failures written so far (read before a throttle read).
    pub fn failures_written(&self) -> u64 {
        self.failures.load(Ordering::Acquire)
    }

    /// A password failure was written (after the write).
    pub fn failure_written(&self) {
        self.failures.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether the throttle keys `key` were found clear with no failure written since.
    pub fn known_clear(&self, key: &str) -> bool {
        self.clear.as_ref().and_then(|clear| clear.get(key)).is_some_and(|at| at == self.failures_written())
    }

    /// The throttle keys `key` were found clear by a read that began when `at` failures were
    /// written.
    pub fn found_clear(&self, key: String, at: u64) {
        if let Some(clear) = &self.clear {
            clear.insert(key, at);
        }
    }
}
