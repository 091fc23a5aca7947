//! Mail over SMTP: `SMTP_URL` read (`smtp_url`), one message handed to the SMTP server
//! (`mailer`, lettre), and the task that delivers the outbox (`sender`).

pub mod mailer;
pub mod sender;
pub mod smtp_url;
