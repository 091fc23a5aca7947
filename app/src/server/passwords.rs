//! Password hashing with Argon2id at OWASP's baseline (19 MiB, 2 iterations, 1 lane), stored as
//! PHC strings. Hashing runs on the blocking pool, never on the async runtime, and at most one
//! hash per core at once (more would only take turns on the same cores, each holding its 19 MiB).
//! The 19 MiB blocks are reused from hash to hash while sign-ins keep coming (mapping fresh
//! memory for each hash cost a third of the throughput) and given back once none is running.

use crate::server::error::AuthError;
use anyhow::Context;
use argon2::{
    password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Mutex, OnceLock,
};
use std::time::Duration;
use tokio::sync::Semaphore;

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;
/// At most this many hashes at once, whatever the core count: 8 × 19 MiB = 152 MiB of memory.
pub const MAX_CONCURRENT_HASHES: usize = 8;
/// How long a request waits for a hashing slot before it is told to come back (503).
pub const MAX_WAIT: Duration = Duration::from_secs(10);
const OUTPUT_BYTES: usize = 32;

fn production_params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_BYTES)).expect("constant Argon2 parameters are valid")
}

/// One slot per core, between 1 and `MAX_CONCURRENT_HASHES`.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, MAX_CONCURRENT_HASHES)
}

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(hashing_slots()))
}

/// The hashing memory not in use, and how many hashes are running.
struct MemoryPool {
    spare: Mutex<Vec<Vec<Block>>>,
    running: AtomicUsize,
}

fn memory_pool() -> &'static MemoryPool {
    static POOL: OnceLock<MemoryPool> = OnceLock::new();
    POOL.get_or_init(|| MemoryPool { spare: Mutex::new(Vec::new()), running: AtomicUsize::new(0) })
}

/// Runs `work` with `blocks` blocks of Argon2 memory: a spare array when there is one big
/// enough, else a new one. The last hash to finish frees them all.
fn with_memory<T>(pool: &MemoryPool, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    pool.running.fetch_add(1, Ordering::SeqCst);
    let spare = pool.spare.lock().map(|mut spare| spare.pop()).unwrap_or(None);
    let mut memory = spare.filter(|m| m.len() >= blocks).unwrap_or_else(|| vec![Block::default(); blocks]);
    let result = work(&mut memory[..blocks]);
    if let Ok(mut spare) = pool.spare.lock() {
        if pool.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            spare.clear();
        } else {
            spare.push(memory);
        }
    }
    result
}

/// Argon2 of `password` and `salt` into `out`, with pooled memory.
fn compute(algorithm: Algorithm, version: Version, params: Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let blocks = params.block_count();
    let hasher = Argon2::new(algorithm, version, params);
    with_memory(memory_pool(), blocks, |memory| hasher.hash_password_into_with_memory(password, salt, out, memory))
}

/// A new PHC string for `password` at the production parameters.
fn hash_blocking(password: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let params = production_params();
    let mut out = [0u8; OUTPUT_BYTES];
    compute(Algorithm::Argon2id, Version::V0x13, params.clone(), password, salt_bytes, &mut out)
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("{e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc` (whatever Argon2 parameters it was made with).
fn verify_blocking(password: &[u8], phc: &str) -> bool {
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
        let stored_params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let params = Params::new(stored_params.m_cost(), stored_params.t_cost(), stored_params.p_cost(), Some(expected.len())).ok()?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        compute(algorithm, version, params, password, salt, &mut out).ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
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
    with_slot(move || hash_blocking(password.expose_secret().as_bytes())).await?.map_err(AuthError::Unexpected)
}

/// A hash of a random password, verified when the user does not exist, so an unknown user costs
/// the same work as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = SaltString::generate(&mut OsRng);
        hash_blocking(random.as_str().as_bytes()).unwrap_or_default()
    })
}

/// Checks a password against a stored hash, or against the dummy hash when there is none.
/// Returns true only for a stored hash that matches.
pub async fn verify(password: SecretString, stored: Option<String>) -> Result<bool, AuthError> {
    let exists = stored.is_some();
    let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
    let matches = with_slot(move || verify_blocking(password.expose_secret().as_bytes(), &phc)).await?;
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

    /// Hashes made by the argon2 crate's own PHC API (and with other parameters) still verify.
    #[tokio::test]
    async fn phc_strings_from_the_standard_api_verify() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let params = Params::new(8 * 1024, 3, 1, None).unwrap();
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify(SecretString::from("correct horse"), Some(phc.clone())).await.unwrap());
        assert!(!verify(SecretString::from("correct horsE"), Some(phc)).await.unwrap());
    }

    /// Our PHC strings verify with the standard API too (they are ordinary Argon2id hashes).
    #[tokio::test]
    async fn our_hashes_verify_with_the_standard_api() {
        use argon2::PasswordVerifier;
        let phc = hash(SecretString::from("correct horse")).await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
    }

    #[test]
    fn hashing_memory_is_given_back_when_no_hash_runs() {
        let pool = MemoryPool { spare: Mutex::new(Vec::new()), running: AtomicUsize::new(0) };
        let blocks = Params::new(64, 1, 1, None).unwrap().block_count();
        with_memory(&pool, blocks, |_| {
            // A second hash finishing while this one runs keeps its memory for the next one.
            with_memory(&pool, blocks, |_| ());
            assert_eq!(pool.spare.lock().unwrap().len(), 1);
        });
        assert!(pool.spare.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify(SecretString::from("anything"), None).await.unwrap());
    }
}
