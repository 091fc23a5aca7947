//! The WebAuthn relying party (`webauthn-rs`): who the keys are made for. Its id is the host of
//! `COOKIE_DOMAIN` when set (the keys then work on every subdomain the sign-in covers), else of
//! `PUBLIC_URL`; the only origin it accepts is `PUBLIC_URL`'s, so an answer a key gave another
//! site (a phishing copy of this one) is refused.

use crate::{error::AuthError, settings::Settings};
use webauthn_rs::prelude::{SecurityKey, Url, Webauthn, WebauthnBuilder};

/// A ceremony (the challenge, then the key's answer) must end within this.
pub const CEREMONY_SECONDS: i64 = 5 * 60;

/// The relying party, built once at start (`Services::relying_party`). A configuration keys
/// cannot work with is kept as its reason, and told on every ceremony (the rest of the service
/// runs without security keys).
pub struct RelyingParty(Result<Webauthn, Unusable>);

enum Unusable {
    /// What the person is told (400): the administrator must change a setting.
    Address(String),
    /// What the operator is told (the log; 503 to the person).
    Misconfigured(String),
}

impl RelyingParty {
    pub fn new(settings: &Settings) -> Self {
        Self(build(settings))
    }

    pub fn get(&self) -> Result<&Webauthn, AuthError> {
        match &self.0 {
            Ok(party) => Ok(party),
            Err(Unusable::Address(why)) => Err(AuthError::BadInput(why.clone())),
            Err(Unusable::Misconfigured(why)) => Err(AuthError::unexpected(format!("security keys: {why}"))),
        }
    }
}

fn build(settings: &Settings) -> Result<Webauthn, Unusable> {
    let misconfigured = Unusable::Misconfigured;
    let mut origin = Url::parse(&settings.public_url).map_err(|e| misconfigured(format!("PUBLIC_URL: {e}")))?;
    let mut host = origin.host_str().ok_or_else(|| misconfigured("PUBLIC_URL has no host".into()))?.to_owned();
    if is_loopback(&host) {
        // The default `PUBLIC_URL` (http://127.0.0.1:3000) is this computer: keys work when it is
        // browsed as http://localhost:3000, the name browsers accept for it.
        host = "localhost".to_owned();
        origin.set_host(Some(&host)).map_err(|e| misconfigured(format!("PUBLIC_URL: {e}")))?;
    }
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        // Browsers take only a domain name as a relying party's id.
        return Err(Unusable::Address(
            "Security keys need the server's address to be a name, not an IP address: ask the administrator to \
             set PUBLIC_URL to one."
                .into(),
        ));
    }
    let rp_id = settings.cookie_domain.as_deref().map(|d| d.trim_start_matches('.').to_owned()).unwrap_or(host);
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|builder| {
            builder
                .rp_name(&settings.issuer)
                .timeout(std::time::Duration::from_secs(120))
                // The key comes after the password: a touch is what it proves (no PIN asked, no
                // credProtect demand, which browsers refuse for keys that are not discoverable).
                .danger_set_user_presence_only_security_keys(true)
                .build()
        })
        .map_err(|e| misconfigured(format!("relying party {rp_id:?} for {origin}: {e}")))
}

/// The signature counter a key's credential holds (the count of its last accepted use; 0 for a
/// key that keeps none). `webauthn-rs` keeps it private; it is read from the credential's
/// serialised form, which is also its stored form.
pub fn signature_counter(key: &SecurityKey) -> Result<u32, AuthError> {
    let form = serde_json::to_value(key).map_err(|e| AuthError::unexpected(format!("a security key's form: {e}")))?;
    form.pointer("/cred/counter")
        .and_then(serde_json::Value::as_u64)
        .and_then(|counter| u32::try_from(counter).ok())
        .ok_or_else(|| AuthError::unexpected("a security key's credential has no signature counter"))
}

/// Whether an answer's counter `answered` shows the key was used after the stored use
/// (`stored`): it must move forward, unless the key keeps no counter (both zero). A counter that
/// did not move is a copy of the key, or a use racing this one.
pub fn counter_moved_on(stored: u32, answered: u32) -> bool {
    (stored == 0 && answered == 0) || answered > stored
}

fn is_loopback(host: &str) -> bool {
    host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: &str, cookie_domain: Option<&str>) -> Settings {
        Settings { public_url: public_url.into(), cookie_domain: cookie_domain.map(Into::into), ..Settings::default() }
    }

    fn origins(public_url: &str, cookie_domain: Option<&str>) -> Result<Vec<String>, AuthError> {
        let built = RelyingParty::new(&settings(public_url, cookie_domain));
        let party = built.get()?;
        Ok(party.get_allowed_origins().iter().map(|o| o.to_string()).collect())
    }

    #[test]
    fn the_relying_party_is_the_public_host_or_the_cookie_domain() {
        assert_eq!(origins("https://auth.example.com", None).unwrap(), ["https://auth.example.com/"]);
        assert!(origins("https://auth.example.com", Some("example.com")).is_ok());
        assert!(origins("https://auth.example.com", Some("other.org")).is_err(), "a domain the host is not in");
        // The default address of this computer: by its name.
        assert_eq!(origins("http://127.0.0.1:3000", None).unwrap(), ["http://localhost:3000/"]);
        assert!(matches!(origins("http://192.0.2.7:3000", None), Err(AuthError::BadInput(_))), "no IP address");
    }

    #[test]
    fn a_counter_must_move_forward_unless_the_key_keeps_none() {
        assert!(counter_moved_on(0, 0), "a key without a counter");
        assert!(counter_moved_on(0, 1));
        assert!(counter_moved_on(5, 6));
        assert!(!counter_moved_on(6, 6), "the same count twice");
        assert!(!counter_moved_on(6, 5), "backwards");
        assert!(!counter_moved_on(6, 0), "a counter that stopped");
    }
}
