//! The files that hold secrets (the SQLite database with its `-wal` and `-shm`, the TOTP key
//! file) are created readable by their owner only, in folders only their owner may enter — and
//! never where the web server serves files from.

use crate::startup::error::StartupError;
use std::{
    fs,
    io::ErrorKind,
    path::{Component, Path, PathBuf},
};

/// Creates the folders on the way to `file` that are missing, each `0700`.
pub fn create_private_folders(file: &Path) -> std::io::Result<()> {
    let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) else { return Ok(()) };
    if folder.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Opens options that create a new file readable and writable by its owner only (`0600`).
pub fn private_new_file() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates the SQLite file (empty, `0600`) and its folders (`0700`) when missing. SQLite gives
/// the `-wal` and `-shm` files it makes beside it the database file's own permissions.
pub fn create_database_file(path: &Path) -> Result<(), StartupError> {
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        return Ok(());
    }
    create_private_folders(path).map_err(|e| {
        StartupError::file(format!("cannot create the database folder {}", path.parent().unwrap_or(path).display()), e)
    })?;
    match private_new_file().open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StartupError::file(format!("cannot create the SQLite database {}", path.display()), e)),
    }
}

/// Refuses a secret file (`what`: "the database", "the TOTP key file") inside the folder the
/// site is served from: one wrong static-file rule would hand it to anyone.
pub fn refuse_inside_site_root(file: &Path, site_root: &Path, what: &str) -> Result<(), StartupError> {
    let (file_abs, root_abs) = (resolved(file), resolved(site_root));
    if file_abs.starts_with(&root_abs) {
        return Err(StartupError::Config(format!(
            "{what} {} is inside the site root {} (LEPTOS_SITE_ROOT), where files are served to browsers: keep it elsewhere",
            file.display(),
            site_root.display()
        )));
    }
    Ok(())
}

/// The absolute form of a path that may not exist yet: `.` and `..` taken out as written, then
/// the longest existing ancestor with its links resolved, and the rest as written.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut normal = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    let mut existing = normal;
    let mut rest = Vec::new();
    while !existing.exists() {
        let Some(name) = existing.file_name().map(|n| n.to_owned()) else { break };
        rest.push(name);
        existing.pop();
    }
    let mut result = existing.canonicalize().unwrap_or(existing);
    for part in rest.iter().rev() {
        result.push(part);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_under_the_site_root_is_refused_however_it_is_spelled() {
        let folder = tempfile_folder();
        let root = folder.join("site");
        fs::create_dir_all(&root).unwrap();
        for inside in ["site/app.db", "site/./data/app.db", "other/../site/x/totp.key"] {
            assert!(refuse_inside_site_root(&folder.join(inside), &root, "the database").is_err(), "{inside}");
        }
        for outside in ["data/app.db", "site-data/app.db", "site/../app.db"] {
            assert!(refuse_inside_site_root(&folder.join(outside), &root, "the database").is_ok(), "{outside}");
        }
        fs::remove_dir_all(folder).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn created_files_and_folders_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile_folder();
        let db = folder.join("a").join("b").join("app.db");
        create_database_file(&db).unwrap();
        assert_eq!(fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(db.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(folder.join("a")).unwrap().permissions().mode() & 0o777, 0o700);
        fs::remove_dir_all(folder).unwrap();
    }

    fn tempfile_folder() -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "private-files-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).unwrap();
        path
    }
}
