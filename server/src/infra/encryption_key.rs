//! The key that encrypts TOTP secrets at rest: from `TOTP_ENCRYPTION_KEY` (base64 of 32 bytes),
//! from the file `TOTP_KEY_FILE`, or by default from `totp.key` beside the SQLite database,
//! created with mode 0600 on first run. A sealed check value in the database tells a wrong or
//! missing key apart before start-up completes. The key recovery codes are hashed under is
//! derived from it (`RecoveryCodeKey`), for that use alone.

use crate::startup::error::StartupError;
use base64::{engine::general_purpose::STANDARD, Engine};
use domain::credentials::{
    recovery_codes::RecoveryCodeKey,
    secret_box::{SecretBox, KEY_BYTES},
};
use sqlx::{AnyPool, Row};
use std::path::{Path, PathBuf};

const CHECK_PLAINTEXT: &[u8] = b"totp-signin encryption key check";
const CHECK_CONTEXT: &str = "encryption-key-check";

/// Where the key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The base64 text itself (`TOTP_ENCRYPTION_KEY`).
    Value(String),
    /// A file holding the base64 text; `create` when the default may be made on first run.
    File { path: PathBuf, create: bool },
}

/// The default: `totp.key` in the folder of the SQLite database.
pub fn default_key_file(database_path: &Path) -> PathBuf {
    database_path.parent().unwrap_or(Path::new(".")).join("totp.key")
}

fn decode(text: &str, origin: &str) -> Result<[u8; KEY_BYTES], StartupError> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| {
        StartupError::Config(format!("{origin} is not base64 (make one with: openssl rand -base64 32)"))
    })?;
    bytes.try_into().map_err(|_| {
        StartupError::Config(format!("{origin} must hold 32 bytes in base64 (make one with: openssl rand -base64 32)"))
    })
}

/// What the key gives the server.
pub struct Keys {
    /// Seals the secrets kept at rest (TOTP keys and the keys made for other uses).
    pub secret_box: SecretBox,
    /// Hashes recovery codes.
    pub recovery_codes: RecoveryCodeKey,
}

/// Loads the key and checks it against the database, or creates it when the database holds no
/// encrypted data yet and the source allows it.
pub async fn load(source: &KeySource, db: &AnyPool) -> Result<Keys, StartupError> {
    let check: Option<Vec<u8>> = sqlx::query("SELECT sealed FROM encryption_key_check WHERE id = 1")
        .fetch_optional(db)
        .await
        .map_err(|e| StartupError::database("cannot read the encryption key check", e))?
        .map(|row| row.try_get("sealed"))
        .transpose()
        .map_err(|e| StartupError::database("cannot read the encryption key check", e))?;

    let key = match source {
        KeySource::Value(text) => decode(text, "TOTP_ENCRYPTION_KEY")?,
        KeySource::File { path, create } => match std::fs::read_to_string(path) {
            Ok(text) => decode(&text, &format!("the key file {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if check.is_some() {
                    return Err(StartupError::Config(format!(
                        "the TOTP key file {} is missing, but the database holds secrets encrypted with it: restore the file or set TOTP_ENCRYPTION_KEY",
                        path.display()
                    )));
                }
                if !create {
                    return Err(StartupError::Config(format!("the TOTP key file {} does not exist", path.display())));
                }
                create_key_file(path)?
            }
            Err(e) => return Err(StartupError::file(format!("cannot read the TOTP key file {}", path.display()), e)),
        },
    };
    let secret_box = SecretBox::new(&key);
    match check {
        Some(sealed) => {
            if secret_box.open(&sealed, CHECK_CONTEXT).ok().as_deref() != Some(CHECK_PLAINTEXT) {
                return Err(StartupError::Config(
                    "the TOTP encryption key does not match the one the database was encrypted with (wrong TOTP_ENCRYPTION_KEY or key file)".into(),
                ));
            }
        }
        None => {
            sqlx::query("INSERT INTO encryption_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                .bind(
                    secret_box
                        .seal(CHECK_PLAINTEXT, CHECK_CONTEXT)
                        .map_err(|e| StartupError::Config(format!("cannot make the encryption key check: {e}")))?,
                )
                .execute(db)
                .await
                .map_err(|e| StartupError::database("cannot store the encryption key check", e))?;
            // Another instance starting at the same moment may have stored its own key's check
            // first: read back what won and make sure it is ours.
            let stored: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM encryption_key_check WHERE id = 1")
                .fetch_one(db)
                .await
                .map_err(|e| StartupError::database("cannot read the encryption key check", e))?;
            if secret_box.open(&stored, CHECK_CONTEXT).ok().as_deref() != Some(CHECK_PLAINTEXT) {
                return Err(StartupError::Config(
                    "another instance started with a different TOTP encryption key: give every instance the same TOTP_ENCRYPTION_KEY".into(),
                ));
            }
        }
    }
    let recovery_codes = RecoveryCodeKey::derive(&key).map_err(|e| StartupError::Config(e.to_string()))?;
    Ok(Keys { secret_box, recovery_codes })
}

/// Writes a new random key, readable by its owner only (0600), refusing to overwrite a file; the
/// folders on the way are made when missing (0700).
fn create_key_file(path: &Path) -> Result<[u8; KEY_BYTES], StartupError> {
    use std::io::Write;
    let key = SecretBox::generate_key();
    crate::infra::private_files::create_private_folders(path).map_err(|e| {
        StartupError::file(format!("cannot create the folder of the TOTP key file {}", path.display()), e)
    })?;
    let options = crate::infra::private_files::private_new_file();
    let mut file = options
        .open(path)
        .map_err(|e| StartupError::file(format!("cannot create the TOTP key file {}", path.display()), e))?;
    file.write_all(format!("{}\n", STANDARD.encode(key)).as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| StartupError::file(format!("cannot write the TOTP key file {}", path.display()), e))?;
    tracing::info!(path = %path.display(), "created a new TOTP encryption key file (keep it with your backups, apart from the database)");
    Ok(key)
}

/// Where the key comes from: the configured source, else the file beside the SQLite database
/// (PostgreSQL: `data/totp.key`), made on first use.
pub fn source_for(configured: Option<KeySource>, backend: &crate::infra::database::Backend) -> KeySource {
    configured.unwrap_or_else(|| KeySource::File {
        path: match backend {
            crate::infra::database::Backend::Sqlite { path } => default_key_file(path),
            crate::infra::database::Backend::Postgres => "data/totp.key".into(),
        },
        create: true,
    })
}
