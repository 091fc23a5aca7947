//! Changes made to a SQLite database by another process: the operator's command line, run beside
//! the server. On SQLite the server keeps in memory what it reads on every request (who a session
//! belongs to, live access tokens), and only ever makes that stale by itself, except through those
//! commands. So each of them, once its change is committed, adds a byte to a small file next to
//! the database (`<database file>-changes`, no content that matters), and the server looks at that
//! file's size and time (one `fstat` on a file it keeps open: no path lookup, no read) before it
//! trusts what it keeps, at most once a millisecond. When they moved it forgets everything: the
//! change takes effect at once, as the contract asks for client changes, not after a cache
//! lifetime. A command takes far longer than a millisecond to start, change the database and
//! exit, so the request that follows it looks; under load, a look made in the millisecond before
//! the change stands for the rest of that millisecond. The file is looked at at most once a
//! millisecond, never once per request: the look sits on the forward-auth check's path.
//!
//! Size and time together: the kernel's file times move in ticks of a few milliseconds, so two
//! commands within one tick may leave the time as it was; the size has moved by then.

use std::{
    fs::{File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, UNIX_EPOCH},
};

/// How often the file is looked at, at most.
const LOOK_EVERY: Duration = Duration::from_millis(1);

/// Past this size the file starts again from one byte (its time moves too).
const MOST_BYTES: u64 = 4096;

/// The file next to `database`.
fn marker(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push("-changes");
    database.with_file_name(name)
}

fn open(database: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(marker(database))
}

/// Tells a server running on `database` that something in it changed (the command line calls
/// this after its change is committed).
pub fn announce(database: &Path) -> io::Result<()> {
    let mut file = open(database)?;
    if file.metadata()?.len() >= MOST_BYTES {
        file.set_len(0)?;
    }
    file.write_all(b".")
}

/// The server's side: how many outside changes it has seen.
pub struct OutsideChanges {
    file: File,
    len: AtomicU64,
    time: AtomicU64,
    seen: AtomicU64,
    look_every: Duration,
    started: Instant,
    /// When the file was last looked at (nanoseconds since `started`).
    looked: AtomicU64,
}

impl OutsideChanges {
    /// Watches the file next to `database` (made if missing). What is in it now counts as seen.
    pub fn watch(database: &Path) -> io::Result<Self> {
        Self::watch_every(database, LOOK_EVERY)
    }

    // The monotonic clock only spaces out the looks (a syscall's rate); nothing the sign-in
    // decides depends on it, so it is not the `Services::clock` that tests move.
    #[allow(clippy::disallowed_methods)]
    fn watch_every(database: &Path, look_every: Duration) -> io::Result<Self> {
        let file = open(database)?;
        let (len, time) = Self::look(&file)?;
        Ok(Self {
            file,
            len: AtomicU64::new(len),
            time: AtomicU64::new(time),
            seen: AtomicU64::new(0),
            look_every,
            started: Instant::now(),
            looked: AtomicU64::new(0),
        })
    }

    /// Whether it is time to look again; of the callers asking at once, one gets the turn.
    fn turn_to_look(&self) -> bool {
        let now = self.started.elapsed().as_nanos() as u64;
        let looked = self.looked.load(Ordering::Acquire);
        now.saturating_sub(looked) >= self.look_every.as_nanos() as u64
            && self.looked.compare_exchange(looked, now, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    fn look(file: &File) -> io::Result<(u64, u64)> {
        let meta = file.metadata()?;
        let time = meta.modified()?.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos() as u64);
        Ok((meta.len(), time))
    }

    /// How many outside changes there have been since `watch`, counting one that has just come.
    /// A caller that remembers the number it last saw forgets what it keeps when it moves. (Two
    /// callers looking at once may both count the same change: one forget too many, never one
    /// too few.)
    pub fn seen(&self) -> u64 {
        if !self.turn_to_look() {
            return self.seen.load(Ordering::Acquire);
        }
        if let Ok((len, time)) = Self::look(&self.file) {
            let len_moved = self.len.swap(len, Ordering::AcqRel) != len;
            let time_moved = self.time.swap(time, Ordering::AcqRel) != time;
            if len_moved || time_moved {
                return self.seen.fetch_add(1, Ordering::AcqRel) + 1;
            }
        }
        self.seen.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, PathBuf) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("app.db");
        (folder, path)
    }

    #[test]
    fn every_announced_change_is_seen_once_even_within_one_clock_tick() {
        let (_folder, path) = database();
        let watch = OutsideChanges::watch_every(&path, Duration::ZERO).unwrap();
        assert_eq!(watch.seen(), 0, "nothing yet");
        assert_eq!(watch.seen(), 0);
        announce(&path).unwrap();
        assert_eq!(watch.seen(), 1);
        assert_eq!(watch.seen(), 1, "counted once");
        // Back to back: the file's time may not move between the two, its size does.
        announce(&path).unwrap();
        assert_eq!(watch.seen(), 2);
        announce(&path).unwrap();
        announce(&path).unwrap();
        assert_eq!(watch.seen(), 3, "two changes between two looks are one reason to forget");
    }

    #[test]
    fn the_file_starts_again_when_it_is_full_and_that_is_still_a_change() {
        let (_folder, path) = database();
        std::fs::write(marker(&path), vec![b'.'; MOST_BYTES as usize]).unwrap();
        let watch = OutsideChanges::watch_every(&path, Duration::ZERO).unwrap();
        announce(&path).unwrap();
        assert_eq!(std::fs::metadata(marker(&path)).unwrap().len(), 1);
        assert_eq!(watch.seen(), 1);
    }

    #[test]
    fn within_a_look_window_the_file_is_not_looked_at_again() {
        let (_folder, path) = database();
        let watch = OutsideChanges::watch_every(&path, Duration::from_secs(3600)).unwrap();
        assert_eq!(watch.seen(), 0, "nothing new since the watch began, which was a look");
        announce(&path).unwrap();
        assert_eq!(watch.seen(), 0, "not looked at again within the window");
        let watch = OutsideChanges::watch_every(&path, Duration::ZERO).unwrap();
        announce(&path).unwrap();
        assert_eq!(watch.seen(), 1, "a watcher whose window is over sees it");
    }

    #[test]
    fn changes_made_before_the_server_started_are_not_news() {
        let (_folder, path) = database();
        announce(&path).unwrap();
        let watch = OutsideChanges::watch(&path).unwrap();
        assert_eq!(watch.seen(), 0);
        assert_eq!(marker(&path).file_name().unwrap(), "app.db-changes");
    }
}
