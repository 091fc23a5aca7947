//! `SMTP_URL`: where mail is handed over, and how safely.
//!
//! - `smtps://user:pass@host:465`: TLS from the first byte (implicit TLS);
//! - `smtp://user:pass@host:587`: STARTTLS, required — a server that does not offer it gets
//!   nothing, not the password nor a message;
//! - `smtp://host:25?tls=none`: no TLS, for a relay on the same machine or network; refused
//!   with a user and password unless the host is a loopback address (a password is never sent
//!   in clear over a network);
//! - `smtp://127.0.0.1:2525` (a loopback host, no `tls`): STARTTLS when offered, else plain —
//!   traffic that never leaves the machine.
//!
//! The user and password may be percent-encoded (`%40` for `@`).

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    ImplicitTls,
    RequiredStarttls,
    /// STARTTLS when the server offers it (loopback hosts only, by default).
    OpportunisticStarttls,
    Plain,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpTarget {
    // The password stays out of every log line and error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl SmtpTarget {
    /// `smtp://host:port (STARTTLS)` and so on: for a person, without the password.
    pub fn describe(&self) -> String {
        let scheme = if self.security == Security::ImplicitTls { "smtps" } else { "smtp" };
        let how = match self.security {
            Security::ImplicitTls => "TLS",
            Security::RequiredStarttls => "STARTTLS required",
            Security::OpportunisticStarttls => "STARTTLS when offered",
            Security::Plain => "no TLS",
        };
        format!("{scheme}://{}:{} ({how})", self.host, self.port)
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn decoded(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|t| t.into_owned())
        .map_err(|_| "the user or password is not valid percent-encoded UTF-8".to_owned())
}

/// Reads `SMTP_URL`; the error says what is wrong, never the password.
pub fn parse(text: &str) -> Result<SmtpTarget, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|_| "not a URL such as smtp://user:password@mail.example.com:587".to_owned())?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or("the URL names no host")?.to_owned();
    let tls = url.query_pairs().find(|(key, _)| key == "tls").map(|(_, value)| value.to_ascii_lowercase());
    let credentials = match url.username() {
        "" => None,
        user => Some((decoded(user)?, decoded(url.password().unwrap_or_default())?)),
    };
    let loopback = is_loopback(&host);
    let (security, default_port) = match (url.scheme(), tls.as_deref()) {
        ("smtps", None | Some("implicit" | "wrapper")) => (Security::ImplicitTls, 465),
        ("smtp", Some("required" | "starttls")) => (Security::RequiredStarttls, 587),
        ("smtp", None) if loopback => (Security::OpportunisticStarttls, 25),
        ("smtp", None) => (Security::RequiredStarttls, 587),
        ("smtp", Some("opportunistic")) => (Security::OpportunisticStarttls, 25),
        ("smtp", Some("none")) => (Security::Plain, 25),
        ("smtp" | "smtps", Some(other)) => {
            return Err(format!(
                "tls={other}: use tls=required, tls=opportunistic or tls=none (smtps:// is always TLS)"
            ))
        }
        (other, _) => return Err(format!("{other}:// is not smtp:// (STARTTLS) or smtps:// (TLS)")),
    };
    if credentials.is_some() && !loopback && matches!(security, Security::Plain | Security::OpportunisticStarttls) {
        return Err(
            "a user and password over a connection that may not be encrypted: use smtp:// (STARTTLS) or smtps://"
                .to_owned(),
        );
    }
    Ok(SmtpTarget { host, port: url.port().unwrap_or(default_port), security, credentials })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_of_the_contract_reads_as_its_security() {
        let starttls = parse("smtp://me%40example.com:p%3Ass@mail.example.com:587").unwrap();
        assert_eq!(starttls.security, Security::RequiredStarttls);
        assert_eq!(starttls.credentials, Some(("me@example.com".into(), "p:ss".into())));
        assert_eq!(starttls.port, 587);
        let implicit = parse("smtps://u:p@mail.example.com").unwrap();
        assert_eq!((implicit.security, implicit.port), (Security::ImplicitTls, 465));
        let relay = parse("smtp://relay.internal:25?tls=none").unwrap();
        assert_eq!((relay.security, relay.credentials), (Security::Plain, None));
        let local = parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((local.security, local.port), (Security::OpportunisticStarttls, 2525));
        assert_eq!(parse("smtp://mail.example.com").unwrap().security, Security::RequiredStarttls);
    }

    #[test]
    fn a_password_is_never_sent_where_the_connection_may_be_plain() {
        assert!(parse("smtp://u:p@mail.example.com:25?tls=none").is_err());
        assert!(parse("smtp://u:p@mail.example.com:25?tls=opportunistic").is_err());
        assert!(parse("smtp://u:p@127.0.0.1:25?tls=none").is_ok(), "loopback never leaves the machine");
    }

    #[test]
    fn nonsense_is_refused_without_echoing_the_password() {
        for bad in
            ["http://mail.example.com", "smtp://", "mail.example.com:25", "smtps://h?tls=none", "smtp://h?tls=maybe"]
        {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let target = parse("smtps://user:secret-password@mail.example.com").unwrap();
        assert!(!format!("{target:?}").contains("secret-password"));
        assert!(!target.describe().contains("secret-password"));
    }
}
