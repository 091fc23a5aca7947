//! A software security key, written for the tests from the WebAuthn and CTAP2 specifications,
//! independent of the code under test (webauthn-rs): a P-256 key pair (OpenSSL), "none"
//! attestation, a signature counter, and the browser's part (the client data with the challenge
//! and origin). It answers the `options` the server sends, as a browser with this key would.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openssl::{
    bn::BigNumContext,
    ec::{EcGroup, EcKey},
    ecdsa::EcdsaSig,
    nid::Nid,
    pkey::Private,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct SoftKey {
    key: EcKey<Private>,
    pub credential_id: Vec<u8>,
    pub counter: u32,
    /// Whether the key verifies its user (a PIN or biometric: the `UV` flag), as a passkey does.
    pub verifies_user: bool,
    /// The account's user handle, kept at registration (a resident key keeps it, and names the
    /// account with it when signing in without a username).
    pub user_handle: Option<String>,
}

/// CBOR (RFC 8949), just what an attestation object needs.
fn cbor_head(major: u8, len: usize, out: &mut Vec<u8>) {
    match len {
        0..=23 => out.push(major << 5 | len as u8),
        24..=255 => out.extend([major << 5 | 24, len as u8]),
        _ => out.extend([major << 5 | 25, (len >> 8) as u8, len as u8]),
    }
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, text.len(), out);
    out.extend(text.as_bytes());
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, bytes.len(), out);
    out.extend(bytes);
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SoftKey {
    pub fn new() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let credential_id: Vec<u8> = (0..32).map(|_| rand_byte()).collect();
        Self {
            key: EcKey::generate(&group).unwrap(),
            credential_id,
            counter: 0,
            verifies_user: false,
            user_handle: None,
        }
    }

    /// A passkey: a resident key that verifies its user.
    pub fn passkey() -> Self {
        Self { verifies_user: true, ..Self::new() }
    }

    /// The COSE_Key (RFC 9053): EC2, ES256, P-256, x, y.
    fn cose_public_key(&self) -> Vec<u8> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let (mut x, mut y) = (openssl::bn::BigNum::new().unwrap(), openssl::bn::BigNum::new().unwrap());
        self.key.public_key().affine_coordinates(&group, &mut x, &mut y, &mut ctx).unwrap();
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&x.to_vec_padded(32).unwrap(), &mut out);
        out.push(0x22);
        cbor_bytes(&y.to_vec_padded(32).unwrap(), &mut out);
        out
    }

    /// Authenticator data: the RP id's hash, flags (user present; `AT` with the credential),
    /// the counter, and for a registration the attested credential.
    fn authenticator_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        // UP, UV when the key verifies its user, AT with the credential.
        let verified = if self.verifies_user { 0x04 } else { 0 };
        data.push(if attested { 0x41 | verified } else { 0x01 | verified });
        data.extend(self.counter.to_be_bytes());
        if attested {
            data.extend([0u8; 16]);
            data.extend((self.credential_id.len() as u16).to_be_bytes());
            data.extend(&self.credential_id);
            data.extend(self.cose_public_key());
        }
        data
    }

    fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().expect("a challenge");
        serde_json::to_vec(&json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false}))
            .unwrap()
    }

    /// The answer to `navigator.credentials.create` with `options` (the server's JSON), as a
    /// browser at `origin` sends it; `rp_id` as the browser would take it from the options.
    pub fn register(&mut self, options: &Value, origin: &str) -> String {
        let rp_id = options["publicKey"]["rp"]["id"].as_str().expect("an RP id").to_owned();
        self.register_for(options, origin, &rp_id)
    }

    /// `register`, claiming the key was made for `rp_id` (a wrong one, for the tests).
    pub fn register_for(&mut self, options: &Value, origin: &str, rp_id: &str) -> String {
        self.user_handle = options["publicKey"]["user"]["id"].as_str().map(str::to_owned);
        let client_data = Self::client_data("webauthn.create", options, origin);
        let mut attestation = vec![0xa3];
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        attestation.push(0xa0);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&self.authenticator_data(rp_id, true), &mut attestation);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {"attestationObject": b64(&attestation), "clientDataJSON": b64(&client_data)},
            "extensions": {}
        })
        .to_string()
    }

    /// The answer to `navigator.credentials.get` with `options`: the counter moves on, and the
    /// key signs the authenticator data and the client data's hash.
    pub fn sign_in(&mut self, options: &Value, origin: &str) -> String {
        self.counter += 1;
        let rp_id = options["publicKey"]["rpId"].as_str().expect("an RP id").to_owned();
        let client_data = Self::client_data("webauthn.get", options, origin);
        let data = self.authenticator_data(&rp_id, false);
        let mut signed = data.clone();
        signed.extend(Sha256::digest(&client_data));
        let digest = Sha256::digest(&signed);
        let signature = EcdsaSig::sign(&digest, &self.key).unwrap().to_der().unwrap();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(&signature),
                "userHandle": self.user_handle
            },
            "extensions": {}
        })
        .to_string()
    }
}

fn rand_byte() -> u8 {
    let mut byte = [0u8; 1];
    openssl::rand::rand_bytes(&mut byte).unwrap();
    byte[0]
}
