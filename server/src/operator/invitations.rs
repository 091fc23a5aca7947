//! `server invite …`: one-time registration links from the command line, the same as the
//! console's (`domain::console::invitations`), logged in the admin log as `command line`.

use super::{
    database::{announced, open_database},
    outcome::{OperatorError, Outcome},
};
use crate::{operator::cli::InviteCommand, startup::config::Config};
use domain::{
    console::invitations::{self, InvitationRequest, Maker},
    storage::invitations::{list, InvitationState},
};

const COMMAND_LINE: Maker<'static> = Maker { name: "command line", client_address: None };

pub async fn invite(config: &Config, command: InviteCommand) -> Result<Outcome, OperatorError> {
    let changes = !matches!(command, InviteCommand::List);
    let result = invite_command(config, command).await;
    announced(config, changes, result)
}

async fn invite_command(config: &Config, command: InviteCommand) -> Result<Outcome, OperatorError> {
    let db = open_database(config).await?;
    let now = config.clock.now();
    let refuse = |e: domain::AuthError| OperatorError::Refused(e.to_string());
    match command {
        InviteCommand::Create { groups, days, require_2fa } => {
            let days = days.to_string();
            let request = InvitationRequest { groups: &groups, days: Some(&days), require_two_factor: require_2fa };
            let made = invitations::create_by(&db, &config.settings.public_url, now, &COMMAND_LINE, &request)
                .await
                .map_err(refuse)?;
            Ok(Outcome::Printed(made.link))
        }
        InviteCommand::List => {
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
            invitations::revoke_by(&db, now, &COMMAND_LINE, &id).await.map_err(refuse)?;
            Ok(Outcome::Printed(format!("invitation {} revoked", id.trim())))
        }
    }
}
