//! The migrations are embedded in the binary by `sqlx::migrate!`, which cargo does not know to
//! watch: without this, a migration added to the folder would be missing from a binary built
//! before it (sqlx's own advice).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
