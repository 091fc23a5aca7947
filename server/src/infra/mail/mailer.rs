//! Hands one message to the SMTP server (lettre): composes it with its `Message-ID`, sends it,
//! and reports the server's answer — or whether a failure is worth another try.

use super::smtp_url::{Security, SmtpTarget};
use domain::mail::{MailIdentity, Outgoing};
use lettre::{
    message::{
        header::{ContentTransferEncoding, ContentType},
        Body, Mailbox,
    },
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
        extension::ClientId,
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::time::Duration;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    target: String,
}

/// A delivery that did not happen.
#[derive(Debug)]
pub struct NotSent {
    /// The SMTP server refused the message for good (5xx), or it cannot be composed: trying
    /// again would not help.
    pub permanent: bool,
    pub reason: String,
}

impl Mailer {
    pub fn new(target: &SmtpTarget, identity: &MailIdentity) -> Result<Self, String> {
        let from: Mailbox =
            identity.from.parse().map_err(|e| format!("MAIL_FROM {:?} is not an address: {e}", identity.from))?;
        let tls = || {
            TlsParameters::new(target.host.clone()).map_err(|e| format!("cannot set up TLS for {}: {e}", target.host))
        };
        let security = match target.security {
            Security::ImplicitTls => Tls::Wrapper(tls()?),
            Security::RequiredStarttls => Tls::Required(tls()?),
            Security::OpportunisticStarttls => Tls::Opportunistic(tls()?),
            Security::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host.clone())
            .port(target.port)
            .tls(security)
            .hello_name(ClientId::Domain(identity.domain.clone()))
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &target.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self { transport: builder.build(), from, target: target.describe() })
    }

    /// `smtp://host:port (how)`, for logs and `server mail test`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Sends one message; `Ok`: the SMTP server's answer ("250 …").
    pub async fn send(&self, message_id: &str, mail: &Outgoing) -> Result<String, NotSent> {
        let permanent = |reason: String| NotSent { permanent: true, reason };
        let to: Mailbox = mail.to.parse().map_err(|e| permanent(format!("{:?} is not an address: {e}", mail.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(plain_body(&mail.body))
            .map_err(|e| permanent(format!("cannot compose the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" "))),
            Err(e) => Err(NotSent { permanent: e.is_permanent(), reason: e.to_string() }),
        }
    }
}

/// The longest line 7bit text may have (RFC 5322, 2.1.1: 998 characters and CRLF).
const MAX_7BIT_LINE: usize = 998;

/// The body as 7bit text whenever it is ASCII with lines of at most 998 characters — which
/// every message of `domain::mail::messages` is — so a link stays whole on its line: lettre
/// would choose quoted-printable for lines over 76 characters and break a link with soft line
/// breaks, which a person copying it or a client that does not decode would get wrong. Anything
/// else is encoded as lettre chooses.
fn plain_body(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let fits_7bit = crlf.is_ascii()
        && !crlf.bytes().any(|b| b == 0)
        && crlf.split("\r\n").all(|line| line.len() <= MAX_7BIT_LINE && !line.contains('\r'));
    if fits_7bit {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_link_stays_whole_on_its_line() {
        let link = format!("https://auth.example.com/reset-password/{}", "a".repeat(64));
        let body = plain_body(&format!("Hello,\n\n{link}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        let text = String::from_utf8(body.into_vec()).unwrap();
        assert!(text.contains(&format!("\r\n{link}\r\n")));
        assert_ne!(plain_body("caf\u{e9}").encoding(), ContentTransferEncoding::SevenBit, "not ASCII");
    }
}
