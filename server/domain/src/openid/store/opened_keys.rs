//! The signing keys this process has opened (AES-GCM) and parsed (PKCS#8), by key id: a code
//! exchange never opens or parses a key itself. A key never changes under its id, so nothing
//! here goes stale. Owned by `Services`.

use crate::{credentials::secret_box::SecretBox, error::AuthError, openid::signing_key::SigningKey};
use sqlx::{any::AnyRow, Row};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// What a signing key is sealed under (the secret box's context).
pub(super) fn context(kid: &str) -> String {
    format!("oidc-signing-key:{kid}")
}

/// Keys already opened and parsed, by key id: opening (AES-GCM) and parsing (PKCS#8) are kept
/// off the code exchange. A key never changes under its id, so nothing here goes stale. Owned
/// by `Services`; clones share it.
#[derive(Clone, Default)]
pub struct OpenedKeys(Arc<Mutex<HashMap<String, Arc<SigningKey>>>>);

impl OpenedKeys {
    pub(super) fn get(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.0.lock().ok().and_then(|keys| keys.get(kid).cloned())
    }

    /// The key of `row`, opened once.
    pub(super) fn open(&self, row: &AnyRow, secret_box: &SecretBox) -> Result<Arc<SigningKey>, AuthError> {
        let kid: String = row.try_get("kid")?;
        if let Some(key) = self.get(&kid) {
            return Ok(key);
        }
        let sealed: Vec<u8> = row.try_get("sealed_key")?;
        let der = secret_box.open(&sealed, &context(&kid)).map_err(|_| {
            AuthError::Unexpected(anyhow::anyhow!("the signing key {kid} does not open with this TOTP key"))
        })?;
        let key = Arc::new(SigningKey::from_der(kid.clone(), &der)?);
        if let Ok(mut keys) = self.0.lock() {
            keys.insert(kid, key.clone());
        }
        Ok(key)
    }
}
