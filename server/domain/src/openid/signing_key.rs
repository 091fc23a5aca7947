//! The ID-token signing key: RSA 2048, RS256 (RSASSA-PKCS1-v1_5 with SHA-256), through OpenSSL.
//! OpenSSL's RSA is blinded and constant-time; the pure-Rust `rsa` crate is not
//! (RUSTSEC-2023-0071, unfixed), and `ring` cannot make RSA keys.

use crate::{credentials::secret_box::random_hex, error::AuthError};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openssl::{
    error::ErrorStack,
    hash::MessageDigest,
    pkey::{PKey, Private},
    rsa::Rsa,
    sign::{Signer, Verifier},
};
use serde_json::{json, Value};

const RSA_BITS: u32 = 2048;

/// The id of the key that signs now (the newest), as a scalar subquery for a statement that
/// reads it along with something else (`keys`, `exchange_writer`).
pub const CURRENT_KID: &str = "(SELECT kid FROM oidc_signing_keys ORDER BY created_at DESC, kid DESC LIMIT 1)";

pub struct SigningKey {
    pub kid: String,
    key: PKey<Private>,
}

/// The RS256 signature of `message` (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2). The
/// benchmark's ceiling and its bare-axum signer call this same function.
pub fn rs256(key: &PKey<Private>, message: &[u8]) -> Result<Vec<u8>, ErrorStack> {
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.update(message)?;
    signer.sign_to_vec()
}

fn unexpected(what: &str, e: openssl::error::ErrorStack) -> AuthError {
    AuthError::Unexpected(anyhow::anyhow!("{what}: {e}"))
}

impl SigningKey {
    /// A new key with a random key id.
    pub fn generate() -> Result<Self, AuthError> {
        let rsa = Rsa::generate(RSA_BITS).map_err(|e| unexpected("generating the signing key", e))?;
        let key = PKey::from_rsa(rsa).map_err(|e| unexpected("wrapping the signing key", e))?;
        Ok(Self { kid: random_hex(8), key })
    }

    /// The key as stored (PKCS#8 DER, sealed before it reaches the database).
    pub fn to_der(&self) -> Result<Vec<u8>, AuthError> {
        self.key.private_key_to_pkcs8().map_err(|e| unexpected("encoding the signing key", e))
    }

    pub fn from_der(kid: String, der: &[u8]) -> Result<Self, AuthError> {
        let key = PKey::private_key_from_pkcs8(der).map_err(|e| unexpected("reading a signing key", e))?;
        Ok(Self { kid, key })
    }

    /// The public half as a JWK (RFC 7517), for the JWKS endpoint.
    pub fn public_jwk(&self) -> Result<Value, AuthError> {
        let rsa = self.key.rsa().map_err(|e| unexpected("reading the signing key", e))?;
        Ok(json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
            "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
        }))
    }

    /// A compact JWS (RFC 7515) of `claims`: the ID token.
    pub fn sign_jwt(&self, claims: &Value) -> Result<String, AuthError> {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = rs256(&self.key, signing_input.as_bytes()).map_err(|e| unexpected("signing", e))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The claims of a compact JWS this key signed (RS256, this key's id in its header); `None`
    /// for anything else.
    pub fn verified_claims(&self, token: &str) -> Option<Value> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let (header, claims) = signing_input.split_once('.')?;
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header["alg"] != "RS256" || header["kid"] != self.kid.as_str() {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), &self.key).ok()?;
        verifier.update(signing_input.as_bytes()).ok()?;
        if !verifier.verify(&signature).ok()? {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()
    }
}

/// The key id named in a compact JWS's header, unchecked (it picks the key to check it with).
pub fn key_id_of(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header["kid"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::{bn::BigNum, sign::Verifier};

    #[test]
    fn a_token_verifies_against_its_published_key_and_only_unchanged() {
        let key = SigningKey::generate().unwrap();
        let token = key.sign_jwt(&json!({ "sub": "1", "aud": "app" })).unwrap();
        let jwk = key.public_jwk().unwrap();
        let number = |name: &str| BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap());
        let public = PKey::from_rsa(Rsa::from_public_components(number("n").unwrap(), number("e").unwrap()).unwrap());
        let public = public.unwrap();
        let verifies = |token: &str| {
            let (input, signature) = token.rsplit_once('.').unwrap();
            let mut verifier = Verifier::new(MessageDigest::sha256(), &public).unwrap();
            verifier.update(input.as_bytes()).unwrap();
            verifier.verify(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap()
        };
        assert!(verifies(&token));
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("RS256"), Some(key.kid.as_str())));
        let forged_claims = URL_SAFE_NO_PAD.encode(json!({ "sub": "2", "aud": "app" }).to_string());
        let parts: Vec<&str> = token.split('.').collect();
        assert!(!verifies(&format!("{}.{forged_claims}.{}", parts[0], parts[2])));
        assert_eq!(key.verified_claims(&token), Some(json!({ "sub": "1", "aud": "app" })));
        assert_eq!(key.verified_claims(&format!("{}.{forged_claims}.{}", parts[0], parts[2])), None);
        assert_eq!(SigningKey::generate().unwrap().verified_claims(&token), None, "another key's");
        let again = SigningKey::from_der(key.kid.clone(), &key.to_der().unwrap()).unwrap();
        assert_eq!(again.public_jwk().unwrap(), jwk, "the stored form is the same key");
    }
}
