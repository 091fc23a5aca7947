//! How the process gives memory back. Each password hash needs a 19 MiB block (Argon2id), taken
//! by a hashing thread and freed when no more hashing is queued. The allocator is mimalloc
//! (`main.rs`), which by default keeps freed memory for a while and returns it only when the
//! freeing thread next allocates: a hashing thread waiting for work would sit on its block.
//! Purged at once, memory follows the number of hashes running at once. Arenas are committed
//! page by page, never up front, so an idle server stays within its memory budget
//! (`docs/performance.md`).

/// mimalloc's options (`mimalloc.h`, the same numbers in v2 and v3).
const MI_OPTION_ARENA_EAGER_COMMIT: i32 = 4;
/// Milliseconds.
const MI_OPTION_PURGE_DELAY: i32 = 15;

extern "C" {
    /// From the mimalloc library the `mimalloc` crate links.
    fn mi_option_set(option: i32, value: std::ffi::c_long);
}

/// Call first thing in `main`, before any thread starts.
pub fn return_freed_memory_at_once() {
    // SAFETY: sets allocator options (integers) before other threads exist.
    unsafe {
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}
