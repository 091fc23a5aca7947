//! Authorization codes, sealed rather than stored. A code is its own record: the grant, what it
//! is bound to (client registration, redirect URI, PKCE challenge, nonce), the session epoch it
//! was issued under and when it expires, sealed (AES-256-GCM) with a random key of its own
//! (`sealing_box`). Issuing one writes nothing; a forged or altered code does not open.
//!
//! What the database still decides is single use: the access token a code is exchanged for
//! carries the code's hash in a unique column (`oidc_tokens.from_code`), so of two exchanges of
//! one code exactly one inserts its row (`tokens::exchange_code`), and that row outlives any
//! revocation until it expires (`grants::REVOKE_ACCOUNT`). Revoking the codes not yet used is the
//! session epoch's job: the exchange requires the account still at the epoch the code carries,
//! and ending sessions, turning 2FA off and an operator reset all move it.

use super::grant::Grant;
use crate::{
    credentials::secret_box::{SecretBox, KEY_BYTES},
    error::AuthError,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

const CONTEXT: &str = "oidc-authorization-code";
const KEY_CONTEXT: &str = "oidc-code-key";

/// The box codes are sealed with. Its key is random, made on the first start, and kept in the
/// database sealed with the TOTP encryption key, so every instance has the same one, and forging
/// a code takes the database as well as that key (the TOTP key alone opens nothing, as before).
pub async fn sealing_box(db: &AnyPool, secret_box: &SecretBox) -> Result<SecretBox, AuthError> {
    let cannot = |what: &str| AuthError::Unexpected(anyhow::anyhow!("the key for OpenID Connect codes {what}"));
    let read =
        || sqlx::query_scalar::<_, Vec<u8>>("SELECT sealed_key FROM oidc_code_key WHERE id = 1").fetch_optional(db);
    let stored = match read().await? {
        Some(stored) => stored,
        None => {
            // The first start makes it; instances starting together keep whichever was written
            // first.
            let sealed =
                secret_box.seal(&SecretBox::generate_key(), KEY_CONTEXT).map_err(|_| cannot("cannot be sealed"))?;
            sqlx::query("INSERT INTO oidc_code_key (id, sealed_key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                .bind(sealed)
                .execute(db)
                .await?;
            read().await?.ok_or_else(|| cannot("was not stored"))?
        }
    };
    let key = secret_box.open(&stored, KEY_CONTEXT).map_err(|_| cannot("does not open with this TOTP key"))?;
    let key: [u8; KEY_BYTES] = key.try_into().map_err(|_| cannot("is malformed"))?;
    Ok(SecretBox::new(&key))
}
/// Longer than any code this server seals (a nonce and a redirect URI of a few hundred bytes
/// each): anything longer is refused before it is decoded.
const MAX_CODE_CHARS: usize = 8192;

/// A code's binding besides the grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBinding {
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
}

/// What a code stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub grant: Grant,
    /// The account's `sub` (`subject`).
    pub subject: String,
    pub binding: CodeBinding,
    /// When the client was registered: a client deleted and registered again under the same id
    /// is not the one the code was issued to.
    pub client_registered_at: i64,
    /// The account's session epoch when the code was issued.
    pub session_epoch: i64,
    pub expires_at: i64,
}

/// The sealed form (short field names: it travels in a URL).
#[derive(Serialize, Deserialize)]
struct Sealed {
    g: String,
    c: String,
    cr: i64,
    u: i64,
    sub: String,
    s: String,
    t: i64,
    a: String,
    r: String,
    n: Option<String>,
    p: Option<String>,
    e: i64,
    x: i64,
}

impl Code {
    /// The code as given to the client: URL-safe, opaque.
    pub fn seal(&self, secret_box: &SecretBox) -> Result<String, AuthError> {
        let sealed = Sealed {
            g: self.grant.grant_id.clone(),
            c: self.grant.client_id.clone(),
            cr: self.client_registered_at,
            u: self.grant.user_id,
            sub: self.subject.clone(),
            s: self.grant.scope.clone(),
            t: self.grant.auth_time,
            a: self.grant.amr.clone(),
            r: self.binding.redirect_uri.clone(),
            n: self.binding.nonce.clone(),
            p: self.binding.code_challenge.clone(),
            e: self.session_epoch,
            x: self.expires_at,
        };
        let json = serde_json::to_vec(&sealed).map_err(|e| AuthError::Unexpected(e.into()))?;
        let boxed = secret_box
            .seal(&json, CONTEXT)
            .map_err(|_| AuthError::Unexpected(anyhow::anyhow!("cannot seal an authorization code")))?;
        Ok(URL_SAFE_NO_PAD.encode(boxed))
    }

    /// What `code` stands for; `None` for anything this server did not seal.
    pub fn open(secret_box: &SecretBox, code: &str) -> Option<Self> {
        if code.len() > MAX_CODE_CHARS {
            return None;
        }
        let boxed = URL_SAFE_NO_PAD.decode(code).ok()?;
        let json = secret_box.open(&boxed, CONTEXT).ok()?;
        let s: Sealed = serde_json::from_slice(&json).ok()?;
        Some(Self {
            grant: Grant { grant_id: s.g, client_id: s.c, user_id: s.u, scope: s.s, auth_time: s.t, amr: s.a },
            subject: s.sub,
            binding: CodeBinding { redirect_uri: s.r, nonce: s.n, code_challenge: s.p },
            client_registered_at: s.cr,
            session_epoch: s.e,
            expires_at: s.x,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> Code {
        Code {
            grant: Grant {
                grant_id: "g1".into(),
                client_id: "app".into(),
                user_id: 7,
                scope: "openid profile".into(),
                auth_time: 1_700_000_000,
                amr: "pwd otp mfa".into(),
            },
            subject: "5f0c2d9e8a7b6c1d".into(),
            binding: CodeBinding {
                redirect_uri: "https://app.test/cb".into(),
                nonce: Some("n-0S6_WzA2Mj".into()),
                code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            },
            client_registered_at: 1_699_999_000,
            session_epoch: 3,
            expires_at: 1_700_000_060,
        }
    }

    #[test]
    fn a_sealed_code_opens_to_what_it_was_and_reveals_nothing() {
        let secret_box = SecretBox::new(&SecretBox::generate_key());
        let sealed = code().seal(&secret_box).unwrap();
        assert!(sealed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe: {sealed}");
        // Texts long enough that random base64 does not hold them by chance ("pwd" alone did,
        // once in a few hundred runs), and of base64's own letters, so their absence means something.
        for clear in ["app.test", "openid", "5f0c2d9e8a7b6c1d", "n-0S6_WzA2Mj"] {
            assert!(!sealed.contains(clear), "{clear} shows in the code");
        }
        assert_eq!(Code::open(&secret_box, &sealed), Some(code()));
    }

    #[test]
    fn altered_forged_or_foreign_codes_do_not_open() {
        let secret_box = SecretBox::new(&SecretBox::generate_key());
        let sealed = code().seal(&secret_box).unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(Code::open(&secret_box, &URL_SAFE_NO_PAD.encode(&bytes)), None, "one bit changed");
        let other_box = SecretBox::new(&SecretBox::generate_key());
        assert_eq!(Code::open(&other_box, &sealed), None, "another server's key");
        let same_key_other_use = secret_box.seal(b"{}", "oidc-signing-key:x").unwrap();
        assert_eq!(Code::open(&secret_box, &URL_SAFE_NO_PAD.encode(same_key_other_use)), None, "another context");
        for junk in ["", "x", "!!!", &"A".repeat(MAX_CODE_CHARS + 1)] {
            assert_eq!(Code::open(&secret_box, junk), None, "{junk:.20}");
        }
    }
}
