//! How the process gives memory back. Each password hash needs a 19 MiB block (Argon2id). By
//! default glibc raises its mmap threshold after the first such block is freed, so later blocks
//! come from per-thread heaps that are never returned: a flood of sign-ins left the server at
//! over 1 GiB long after it ended. With a fixed threshold every large block is mapped for the
//! hash and unmapped right after, so memory follows the number of hashes running at once.

/// Blocks from this size up get their own mapping (and go back to the system when freed).
const MMAP_THRESHOLD: i32 = 256 * 1024;

/// Call first thing in `main`, before any thread starts.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
