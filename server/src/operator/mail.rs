//! `server mail test ADDRESS`: one message handed straight to the SMTP server of `SMTP_URL`,
//! and its answer printed — the quickest way to see that mail works. `server mail status`: what
//! waits in the outbox.

use super::{
    cli::MailCommand,
    database::open_database,
    outcome::{OperatorError, Outcome},
};
use crate::{infra::mail::mailer::Mailer, startup::config::Config};
use domain::{credentials::secret_box, mail::messages, storage::outbox};

pub async fn mail(config: &Config, command: MailCommand) -> Result<Outcome, OperatorError> {
    match command {
        MailCommand::Test { address } => test(config, &address).await,
        MailCommand::Status => status(config).await,
    }
}

async fn test(config: &Config, address: &str) -> Result<Outcome, OperatorError> {
    let (Some(target), Some(identity)) = (&config.smtp, &config.settings.mail) else {
        return Err(OperatorError::Refused("mail is off: set SMTP_URL and MAIL_FROM".into()));
    };
    let address = address.trim();
    if !address.contains('@') {
        return Err(OperatorError::Refused(format!("{address:?} is not an email address")));
    }
    let mailer = Mailer::new(target, identity).map_err(OperatorError::Refused)?;
    eprintln!("sending a test message to {address} through {} …", mailer.target());
    let message = messages::test_message(address, config.clock.now(), &config.settings.public_url);
    let message_id = format!("<{}@{}>", secret_box::random_hex(16), identity.domain);
    match mailer.send(&message_id, &message).await {
        Ok(answer) => Ok(Outcome::Printed(format!("sent: the SMTP server answered {answer}"))),
        Err(not_sent) => Err(OperatorError::Refused(format!("not sent: {}", not_sent.reason))),
    }
}

async fn status(config: &Config) -> Result<Outcome, OperatorError> {
    let db = open_database(config).await?;
    let waiting = outbox::waiting(&db).await?;
    let mail = if config.settings.mail.is_some() { "on" } else { "off (SMTP_URL and MAIL_FROM unset)" };
    Ok(Outcome::Printed(format!("mail is {mail}; {waiting} message(s) waiting in the outbox")))
}
