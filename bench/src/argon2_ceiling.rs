//! The ceiling for sign-ins: raw Argon2id hashes per second at the production parameters, one
//! thread per core, nothing else running. A sign-in must compute one such hash.

use argon2::{Algorithm, Argon2, Params, Version};
use domain::credentials::passwords::{ITERATIONS, LANES, MEMORY_KIB};
use std::time::{Duration, Instant};

pub fn hashes_per_second(duration: Duration) -> anyhow::Result<f64> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(32)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let params = params.clone();
                scope.spawn(move || {
                    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                    let salt = [thread as u8; 16];
                    let mut out = [0u8; 32];
                    let mut count = 0;
                    while start.elapsed() < duration
                        && hasher.hash_password_into(b"a password of ordinary length", &salt, &mut out).is_ok()
                    {
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    Ok(counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64())
}
