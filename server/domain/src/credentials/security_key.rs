//! The WebAuthn relying party (`webauthn-rs`): who the keys are made for. Its id is the host of
//! `COOKIE_DOMAIN` when set (the keys then work on every subdomain the sign-in covers), else of
//! `PUBLIC_URL`; the only origin it accepts is `PUBLIC_URL`'s, so an answer a key gave another
//! site (a phishing copy of this one) is refused.

use crate::{error::AuthError, settings::Settings};
use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

/// A ceremony (the challenge, then the key's answer) must end within this.
pub const CEREMONY_SECONDS: i64 = 5 * 60;

pub fn relying_party(settings: &Settings) -> Result<Webauthn, AuthError> {
    let misconfigured = |what: String| AuthError::unexpected(format!("security keys: {what}"));
    let origin = Url::parse(&settings.public_url).map_err(|e| misconfigured(format!("PUBLIC_URL: {e}")))?;
    let host = origin.host_str().ok_or_else(|| misconfigured("PUBLIC_URL has no host".into()))?.to_owned();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        // Browsers take only a domain name as a relying party's id.
        return Err(AuthError::BadInput(
            "Security keys need the server's address to be a name, not an IP address: ask the administrator to \
             set PUBLIC_URL to one (http://localhost:3000 on this computer)."
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
