//! Password hashing with Argon2id at OWASP's baseline (19 MiB, 2 iterations, 1 lane), stored as
//! PHC strings. Hashes run on dedicated hashing threads, one per core (more would only take
//! turns on the same cores, each holding its 19 MiB), never on the async runtime. Requests queue
//! for them; a thread that finishes a hash takes the next one at once, so under load the cores
//! never wait for the runtime to hand them work. Each thread reuses its 19 MiB block from hash to
//! hash while the queue has work (no fresh mapping per hash) and gives it back as soon as the
//! queue is empty.
//!
//! One piece (over 350 lines, 40 % of them tests): the hashing threads exist only for these
//! hashes, and their memory rules are the hashes' own.

use crate::error::AuthError;
use argon2::{
    password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use crossbeam_channel::{Receiver, Sender};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, OnceLock,
};
use std::time::Duration;
use tokio::sync::oneshot;

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;
/// At most this many hashes at once, whatever the core count: 8 × 19 MiB = 152 MiB of memory.
pub const MAX_CONCURRENT_HASHES: usize = 8;
/// How long a request waits for its hash before it is told to come back (503).
pub const MAX_WAIT: Duration = Duration::from_secs(10);
const OUTPUT_BYTES: usize = 32;

fn production_params() -> argon2::Result<Params> {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_BYTES))
}

/// One hashing thread per core, between 1 and `MAX_CONCURRENT_HASHES`.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, MAX_CONCURRENT_HASHES)
}

/// One queued hash: it gets the thread's Argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The hashing threads and their queue.
struct HashingPool {
    queue: Sender<Job>,
    /// Bytes of Argon2 memory the threads hold right now (what the tests check is given back).
    #[cfg_attr(not(test), allow(dead_code))]
    memory_held: Arc<AtomicUsize>,
}

impl HashingPool {
    fn start(threads: usize) -> std::io::Result<Self> {
        let (queue, jobs) = crossbeam_channel::unbounded::<Job>();
        let memory_held = Arc::new(AtomicUsize::new(0));
        for n in 0..threads {
            let (jobs, memory_held) = (jobs.clone(), memory_held.clone());
            std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || hash_jobs(&jobs, &memory_held))?;
        }
        Ok(Self { queue, memory_held })
    }

    /// Runs `work` on a hashing thread. A request whose hash has not finished within `max_wait`
    /// is answered Busy (503 with Retry-After); its job is then skipped, not computed for nobody.
    async fn run<T: Send + 'static>(
        &self,
        max_wait: Duration,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            if !reply.is_closed() {
                let _ = reply.send(work(memory));
            }
        });
        if self.queue.send(job).is_err() {
            return Err(AuthError::Unexpected(anyhow::anyhow!("the password hashing threads have stopped")));
        }
        match tokio::time::timeout(max_wait, answer).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(AuthError::Unexpected(anyhow::anyhow!("a password hashing job failed"))),
            Err(_) => Err(AuthError::Busy { retry_after: Duration::from_secs(5) }),
        }
    }
}

/// A hashing thread: takes jobs until the pool is gone, keeping its memory only while more work
/// is queued.
fn hash_jobs(jobs: &Receiver<Job>, memory_held: &AtomicUsize) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        if jobs.is_empty() && memory.capacity() > 0 {
            memory_held.fetch_sub(memory.capacity() * size_of::<Block>(), Ordering::SeqCst);
            memory = Vec::new();
        }
        let Ok(job) = jobs.recv() else { return };
        let before = memory.capacity();
        // A panicking hash must not take the thread (and its slot) with it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
        memory_held.fetch_add(memory.capacity() * size_of::<Block>(), Ordering::SeqCst);
        memory_held.fetch_sub(before * size_of::<Block>(), Ordering::SeqCst);
    }
}

/// Argon2 of `password` and `salt` into `out`, in `memory` (grown when too small).
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> argon2::Result<()> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        *memory = vec![Block::default(); blocks];
    }
    Argon2::new(algorithm, version, params).hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
}

/// A new PHC string for `password` at the production parameters.
fn hash_blocking(password: &[u8], memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let params = production_params().map_err(|e| anyhow::anyhow!("the Argon2 parameters: {e}"))?;
    let mut out = [0u8; OUTPUT_BYTES];
    compute(Algorithm::Argon2id, Version::V0x13, params.clone(), password, salt_bytes, &mut out, memory)
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
fn verify_blocking(password: &[u8], phc: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
        let stored_params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let params =
            Params::new(stored_params.m_cost(), stored_params.t_cost(), stored_params.p_cost(), Some(expected.len()))
                .ok()?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        compute(algorithm, version, params, password, salt, &mut out, memory).ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// Runs one Argon2 computation on a hashing thread.
/// The hashing threads, and the hash an unknown user's password is checked against. Built once
/// at start (`Services::passwords`); clones share them, and the threads end with the last clone.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<HashingPool>,
    /// A hash of a random password, verified when the user does not exist, so an unknown user
    /// costs the same work as a wrong password. Made on first use (`warm_up` makes it early).
    dummy: Arc<OnceLock<String>>,
}

impl PasswordHasher {
    /// Starts one hashing thread per core (see `hashing_slots`).
    pub fn start() -> Result<Self, AuthError> {
        let pool = HashingPool::start(hashing_slots())
            .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("cannot start the password hashing threads: {e}")))?;
        Ok(Self { pool: Arc::new(pool), dummy: Arc::default() })
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
    pub async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        self.pool
            .run(MAX_WAIT, move |memory| hash_blocking(password.expose_secret().as_bytes(), memory))
            .await?
            .map_err(AuthError::Unexpected)
    }

    /// Checks a password against a stored hash, or against the dummy hash when there is none.
    /// Returns true only for a stored hash that matches.
    pub async fn verify(&self, password: SecretString, stored: Option<String>) -> Result<bool, AuthError> {
        self.verify_within(MAX_WAIT, password, stored).await
    }

    /// `verify`, answering Busy when the check has not finished within `max_wait`
    /// (`Settings::password_wait`: `MAX_WAIT` in production; tests make the server busy with it).
    pub async fn verify_within(
        &self,
        max_wait: Duration,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, AuthError> {
        let exists = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash().to_owned());
        let matches = self
            .pool
            .run(max_wait, move |memory| verify_blocking(password.expose_secret().as_bytes(), &phc, memory))
            .await?;
        Ok(exists && matches)
    }

    /// Computes the dummy hash now, so the first sign-in of an unknown user is not slower.
    pub fn warm_up(&self) {
        let _ = self.dummy_hash();
    }

    fn dummy_hash(&self) -> &str {
        self.dummy.get_or_init(|| {
            let random = SaltString::generate(&mut OsRng);
            hash_blocking(random.as_str().as_bytes(), &mut Vec::new()).unwrap_or_default()
        })
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // The hashing threads are real threads: these tests wait for them.
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::start().unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_at_owasp_parameters() {
        let phc = hasher().hash(SecretString::from("correct horse")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let phc = hasher().hash(SecretString::from("correct horse")).await.unwrap();
        assert!(hasher().verify(SecretString::from("correct horse"), Some(phc.clone())).await.unwrap());
        assert!(!hasher().verify(SecretString::from("correct horsE"), Some(phc)).await.unwrap());
    }

    /// Hashing memory is bounded by the number of hashing
    /// threads, and a request whose hash does not come in time is told to come back (and its
    /// queued job skipped) rather than kept waiting.
    #[tokio::test]
    async fn a_request_that_waits_too_long_is_answered_busy_and_its_job_skipped() {
        let pool = HashingPool::start(1).unwrap();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let first = pool.run(Duration::from_secs(10), move |_| blocked.recv().is_ok());
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = ran.clone();
        let (first, refused) = tokio::join!(first, async {
            let refused = pool.run(Duration::from_millis(50), move |_| counted.fetch_add(1, Ordering::SeqCst)).await;
            release.send(()).unwrap();
            refused
        });
        assert!(first.unwrap());
        assert!(matches!(refused, Err(AuthError::Busy { .. })));
        assert_eq!(pool.run(Duration::from_secs(10), |_| 2).await.unwrap(), 2);
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the abandoned job was computed anyway");
    }

    #[tokio::test]
    async fn no_more_than_the_threads_hash_at_once() {
        let pool = Arc::new(HashingPool::start(2).unwrap());
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    pool.run(Duration::from_secs(10), move |_| {
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

    /// The memory of a hash is reused by the next queued one and given back once none is queued.
    #[tokio::test]
    async fn hashing_memory_is_reused_while_work_is_queued_and_then_given_back() {
        let pool = HashingPool::start(1).unwrap();
        let params = Params::new(64, 1, 1, Some(32)).unwrap();
        let blocks = params.block_count();
        let hash_with = move |memory: &mut Vec<Block>| {
            let reused = memory.len() >= blocks;
            let mut out = [0u8; 32];
            compute(Algorithm::Argon2id, Version::V0x13, params.clone(), b"pw", b"saltsaltsalt", &mut out, memory)
                .unwrap();
            reused
        };
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let first_hash = hash_with.clone();
        let first = pool.run(Duration::from_secs(10), move |memory| {
            let reused = first_hash(memory);
            blocked.recv().unwrap();
            reused
        });
        let (first, second) = tokio::join!(first, async {
            // Queued behind the first, which holds its memory until this one is in the queue.
            let second = pool.run(Duration::from_secs(10), hash_with);
            let (second, ()) = tokio::join!(second, async {
                while pool.queue.is_empty() {
                    tokio::task::yield_now().await;
                }
                release.send(()).unwrap();
            });
            second
        });
        assert!(!first.unwrap(), "the first hash had fresh memory");
        assert!(second.unwrap(), "the queued hash did not reuse the memory");
        // The thread gives its memory back before it waits for more work.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while pool.memory_held.load(Ordering::SeqCst) != 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.memory_held.load(Ordering::SeqCst), 0);
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
        assert!(hasher().verify(SecretString::from("correct horse"), Some(phc.clone())).await.unwrap());
        assert!(!hasher().verify(SecretString::from("correct horsE"), Some(phc)).await.unwrap());
    }

    /// Our PHC strings verify with the standard API too (they are ordinary Argon2id hashes).
    #[tokio::test]
    async fn our_hashes_verify_with_the_standard_api() {
        use argon2::PasswordVerifier;
        let phc = hasher().hash(SecretString::from("correct horse")).await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!hasher().verify(SecretString::from("anything"), None).await.unwrap());
    }
}
