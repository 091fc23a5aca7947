//! `server invite …`: one-time registration links from the command line, the same as the
//! console's (`domain::console::invitations`), logged in the admin log as `command line`.

use super::{
    database::{announced, open_database},
    outcome::{OperatorError, Outcome},
};
use crate::{
    infra::{database, encryption_key},
    operator::cli::InviteCommand,
    startup::config::Config,
};
use domain::{
    console::invitations::{self, InvitationRequest, Maker, NewInvitation},
    credentials::secret_box::SecretBox,
    storage::invitations::{list, InvitationState},
    storage::outbox::Outbox,
};

const COMMAND_LINE: Maker<'static> =
    Maker { name: "command line", client_address: None, invites_as: "The administrator" };

pub async fn invite(config: &Config, command: InviteCommand) -> Result<Outcome, OperatorError> {
    let changes = !matches!(command, InviteCommand::List);
    let result = invite_command(config, command).await;
    announced(config, changes, result)
}

async fn invite_command(config: &Config, command: InviteCommand) -> Result<Outcome, OperatorError> {
    let now = config.clock.now();
    match command {
        InviteCommand::Create { groups, days, require_2fa, email } => {
            let days = days.to_string();
            let email = email.filter(|e| !e.trim().is_empty());
            let request = InvitationRequest {
                groups: &groups,
                days: Some(&days),
                require_two_factor: require_2fa,
                email: email.as_deref(),
            };
            let (db, secret_box) = match &email {
                Some(_) => with_outbox_key(config).await?,
                None => (open_database(config).await?, None),
            };
            let outbox = secret_box
                .as_ref()
                .zip(config.settings.mail.as_ref())
                .map(|(secret_box, identity)| Outbox { secret_box, identity });
            let made = invitations::create_by(&db, &config.settings.public_url, now, &COMMAND_LINE, &request, outbox)
                .await
                .map_err(refuse)?;
            Ok(Outcome::Printed(match made {
                NewInvitation::Shown { link, .. } => link,
                NewInvitation::Mailed { id, to } => format!(
                    "invitation {id} queued for {to}: the running server sends it (it looks at its outbox every 5 seconds)"
                ),
            }))
        }
        InviteCommand::List => {
            let db = open_database(config).await?;
            let lines: Vec<String> = list(&db, now)
                .await?
                .into_iter()
                .map(|i| {
                    let state = match i.state {
                        InvitationState::Open => "open",
                        InvitationState::Used => "used",
                        InvitationState::Revoked => "revoked",
                        InvitationState::Expired => "expired",
                    };
                    format!(
                        "{}\t{state}\tgroups={}\t2fa={}\tby={}\texpires_at={}{}",
                        i.id,
                        i.grants.groups.join(","),
                        if i.grants.require_two_factor { "required" } else { "optional" },
                        i.created_by,
                        i.expires_at,
                        i.used_by.map(|u| format!("\tused_by={u}")).unwrap_or_default()
                    )
                })
                .collect();
            Ok(Outcome::Printed(if lines.is_empty() { "no invitations".to_owned() } else { lines.join("\n") }))
        }
        InviteCommand::Revoke { id } => {
            let db = open_database(config).await?;
            invitations::revoke_by(&db, now, &COMMAND_LINE, &id).await.map_err(refuse)?;
            Ok(Outcome::Printed(format!("invitation {} revoked", id.trim())))
        }
    }
}

fn refuse(e: domain::AuthError) -> OperatorError {
    OperatorError::Refused(e.to_string())
}

/// The database, and the key that seals what waits in the outbox (the server's own, so its
/// sender can open the message). Refused while mail is off: nothing would ever send it.
async fn with_outbox_key(config: &Config) -> Result<(sqlx::AnyPool, Option<SecretBox>), OperatorError> {
    if config.settings.mail.is_none() || config.smtp.is_none() {
        return Err(OperatorError::Refused(
            "mail is off: set SMTP_URL and MAIL_FROM (as the server has them) to send an invitation by mail, or leave out --email to print the link"
                .into(),
        ));
    }
    let database = database::connect(&config.database_url).await?;
    database::migrate(&database).await?;
    let source = encryption_key::source_for(config.totp_key.clone(), &database.backend);
    let secret_box = encryption_key::load(&source, &database.pool).await?.secret_box;
    Ok((database.pool, Some(secret_box)))
}
