//! Mail: what the sign-in sends and how it is queued. The messages are composed here (plain
//! text, `messages`); they wait in the outbox (`storage::outbox`), written in the transaction of
//! the event that causes them, until the server's sender task delivers them over SMTP.
//!
//! Invariants:
//! - with no mail configured (`Settings::mail` is `None`) nothing is queued and every feature
//!   that needs mail is hidden;
//! - mail goes only to a verified address, except the verification link itself (to the address
//!   being verified) and an invitation (to the address the operator typed);
//! - no message carries a secret other than its one link: never a code, a password, a key.

pub mod messages;

use crate::{credentials::secret_box::SecretBox, services::Services, storage::outbox};
use sqlx::AnyConnection;

/// A message to send: plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Who caused an event: the address and browser a notice names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Requester<'a> {
    pub address: Option<&'a str>,
    /// The `User-Agent` header, as the browser sent it.
    pub user_agent: Option<&'a str>,
}

/// Where mail comes from (`MAIL_FROM`), with the domain its message ids end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailIdentity {
    /// The `From` header as configured: `auth@example.com` or `Sign-in <auth@example.com>`.
    pub from: String,
    /// The domain of the address (the right-hand side of every `Message-ID`).
    pub domain: String,
}

impl MailIdentity {
    /// `None` unless `from` holds an address with a domain.
    pub fn new(from: &str) -> Option<Self> {
        let from = from.trim();
        let address = match (from.rfind('<'), from.rfind('>')) {
            (Some(open), Some(close)) if open < close => &from[open + 1..close],
            _ => from,
        };
        let (local, domain) = address.rsplit_once('@')?;
        let valid_domain = !domain.is_empty()
            && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !local.is_empty();
        valid_domain.then(|| Self { from: from.to_owned(), domain: domain.to_ascii_lowercase() })
    }
}

/// Queues a message on the caller's connection (in its transaction). Nothing when mail is off.
/// The sender is woken by `Services::mail_queued` once the transaction is committed.
pub async fn queue(conn: &mut AnyConnection, services: &Services, mail: &Outgoing) -> Result<(), sqlx::Error> {
    let Some(outbox) = Outbox::of(services) else { return Ok(()) };
    outbox.queue(conn, mail, services.now()).await
}

/// What queuing a message needs, for a caller without `Services` (an operator's command run
/// beside the server, whose sender delivers what it queues): the key that seals messages in the
/// outbox, and where mail comes from. There is none while mail is off.
#[derive(Clone, Copy)]
pub struct Outbox<'a> {
    pub secret_box: &'a SecretBox,
    pub identity: &'a MailIdentity,
}

impl<'a> Outbox<'a> {
    /// The server's outbox, `None` while mail is off.
    pub fn of(services: &'a Services) -> Option<Self> {
        let identity = services.settings.mail.as_ref()?;
        Some(Self { secret_box: &services.secret_box, identity })
    }

    /// Queues a message on the caller's connection (in its transaction).
    pub async fn queue(&self, conn: &mut AnyConnection, mail: &Outgoing, now: i64) -> Result<(), sqlx::Error> {
        outbox::enqueue(conn, self.secret_box, mail, &self.identity.domain, now).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_address_gives_the_message_id_domain() {
        let plain = MailIdentity::new("auth@Example.com").unwrap();
        assert_eq!(plain.domain, "example.com");
        let named = MailIdentity::new("Sign-in <no-reply@mail.example.org>").unwrap();
        assert_eq!(named.domain, "mail.example.org");
        assert_eq!(named.from, "Sign-in <no-reply@mail.example.org>");
        assert!(MailIdentity::new("nobody").is_none());
        assert!(MailIdentity::new("@example.com").is_none());
        assert!(MailIdentity::new("a@ex ample.com").is_none());
    }
}
