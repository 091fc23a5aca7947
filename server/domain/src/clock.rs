//! The one clock of the sign-in domain: wall-clock time as Unix seconds (the unit stored in the
//! database). Every flow reads the time from `Services::clock`, never from the system directly
//! (`clippy.toml` forbids `SystemTime::now` here), so tests run on a manual clock and jump a
//! time-step or a timeout instead of waiting for it.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The operating system's clock: what the server runs on.
    #[default]
    System,
    /// A clock that stands still until it is moved (`advance`, `set`): what tests run on.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock showing `unix_seconds`.
    pub fn manual(unix_seconds: i64) -> Self {
        Self::Manual(Arc::new(AtomicI64::new(unix_seconds)))
    }

    /// A manual clock at the system's present time.
    pub fn manual_from_now() -> Self {
        Self::manual(system_now())
    }

    /// The current Unix time in seconds.
    pub fn now(&self) -> i64 {
        match self {
            Self::System => system_now(),
            Self::Manual(now) => now.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward (or back, with a negative amount). The system clock cannot
    /// be moved: this does nothing to it.
    pub fn advance(&self, seconds: i64) {
        if let Self::Manual(now) = self {
            now.fetch_add(seconds, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `unix_seconds`.
    pub fn set(&self, unix_seconds: i64) {
        if let Self::Manual(now) = self {
            now.store(unix_seconds, Ordering::SeqCst);
        }
    }
}

/// The one place the domain reads the system's clock.
#[allow(clippy::disallowed_methods)]
fn system_now() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now(), 1_000);
        clock.advance(30);
        assert_eq!(clock.now(), 1_030);
        clock.set(5);
        assert_eq!(clock.now(), 5);
        let shared = clock.clone();
        shared.advance(1);
        assert_eq!(clock.now(), 6, "clones share the time");
    }

    #[test]
    fn the_system_clock_is_the_present() {
        assert!(Clock::System.now() > 1_700_000_000);
    }
}
