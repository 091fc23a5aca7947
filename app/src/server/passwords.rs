//! Password hashing with Argon2id at OWASP's baseline (19 MiB, 2 iterations, 1 lane), stored as
//! PHC strings. Hashing runs on the blocking pool, never on the async runtime, and at most
//! `MAX_CONCURRENT_HASHES` at once, so a flood of sign-ins costs bounded memory.

use crate::server::error::AuthError;
use anyhow::Context;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Semaphore;

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;
/// Hashes computed at once: with 19 MiB each, at most 8 × 19 = 152 MiB of hashing memory.
pub const MAX_CONCURRENT_HASHES: usize = 8;
/// How long a request waits for a hashing slot before it is told to come back (503).
pub const MAX_WAIT: Duration = Duration::from_secs(10);

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(MAX_CONCURRENT_HASHES))
}

/// Runs one Argon2 computation on the blocking pool once a slot is free.
async fn with_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
    run_limited(slots(), MAX_WAIT, work).await
}

/// Runs `work` on the blocking pool holding one of `slots`; waits at most `max_wait` for one,
/// then answers Busy (503 with Retry-After) instead of queueing without bound.
async fn run_limited<T: Send + 'static>(
    slots: &Semaphore,
    max_wait: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuthError> {
    let _permit = match tokio::time::timeout(max_wait, slots.acquire()).await {
        Ok(Ok(permit)) => permit,
        _ => return Err(AuthError::Busy { retry_after: Duration::from_secs(5) }),
    };
    tokio::task::spawn_blocking(work)
        .await
        .context("the password hashing task failed")
        .map_err(AuthError::Unexpected)
}

/// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: SecretString) -> Result<String, AuthError> {
    with_slot(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await?
    .map_err(AuthError::Unexpected)
}

/// A hash of a random password, verified when the user does not exist, so an unknown user costs
/// the same work as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let random = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(random.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Checks a password against a stored hash, or against the dummy hash when there is none.
/// Returns true only for a stored hash that matches.
pub async fn verify(password: SecretString, stored: Option<String>) -> Result<bool, AuthError> {
    let exists = stored.is_some();
    let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
    let matches = with_slot(move || {
        PasswordHash::new(&phc)
            .map(|parsed| hasher().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await?;
    Ok(exists && matches)
}

/// Computes the dummy hash now, so the first sign-in of an unknown user is not slower.
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_at_owasp_parameters() {
        let phc = hash(SecretString::from("correct horse")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let phc = hash(SecretString::from("correct horse")).await.unwrap();
        assert!(verify(SecretString::from("correct horse"), Some(phc.clone())).await.unwrap());
        assert!(!verify(SecretString::from("correct horsE"), Some(phc)).await.unwrap());
    }

    /// Security property 7 (SECURITY.md): hashing memory is bounded by the number of slots, and a
    /// request that cannot get one in time is told to come back rather than queued forever.
    #[tokio::test]
    async fn hashing_waits_for_a_free_slot_and_gives_up_with_busy() {
        let slots = Semaphore::new(1);
        let held = slots.acquire().await.unwrap();
        let refused = run_limited(&slots, Duration::from_millis(50), || 1).await;
        assert!(matches!(refused, Err(AuthError::Busy { .. })));
        drop(held);
        assert_eq!(run_limited(&slots, Duration::from_millis(50), || 2).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn no_more_than_the_slots_run_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let slots = Arc::new(Semaphore::new(2));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (slots, running, peak) = (slots.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    run_limited(&slots, Duration::from_secs(10), move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify(SecretString::from("anything"), None).await.unwrap());
    }
}
