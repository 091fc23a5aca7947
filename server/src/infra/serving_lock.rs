//! The lock a server holds on its SQLite file while it serves: one process owns the file (what
//! lets it keep copies in memory, `docs/caches.md`), and `server restore` must not put another
//! database under a running server. An advisory lock on a file beside the database
//! (`app.db.lock`), taken at start and let go when the process ends, however it ends.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io,
    path::Path,
};

pub struct ServingLock {
    /// Held open: the lock lasts as long as the file is open.
    _file: File,
}

/// What became of the attempt.
pub enum Taken {
    Held(ServingLock),
    /// Another process (a running server, a restore under way) holds it.
    ByAnother,
}

impl ServingLock {
    pub fn take(database: &Path) -> io::Result<Taken> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(super::database::beside(database, ".lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(Taken::Held(ServingLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(Taken::ByAnother),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}
