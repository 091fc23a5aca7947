//! `server user …`: accounts without a browser or SQL.

use super::{
    database::{announced, find, open_database},
    outcome::{ListedAccount, OperatorError, Outcome},
};
use crate::{operator::cli::UserCommand, startup::config::Config};
use domain::{
    credentials::passwords,
    input,
    openid::store::access_cache::AccessCache,
    storage::{accounts, security_log, throttle},
    AuthError,
};

pub async fn user(
    config: &Config,
    command: UserCommand,
    password_input: impl FnOnce() -> String,
) -> Result<Outcome, OperatorError> {
    let changes = !matches!(command, UserCommand::List { .. });
    let result = user_command(config, command, password_input).await;
    announced(config, changes, result)
}

async fn user_command(
    config: &Config,
    command: UserCommand,
    password_input: impl FnOnce() -> String,
) -> Result<Outcome, OperatorError> {
    let db = open_database(config).await?;
    let now = config.clock.now();
    let refuse = |e: AuthError| OperatorError::Refused(e.to_string());
    match command {
        UserCommand::Add { name } => {
            let username = input::new_username(Some(name)).map_err(refuse)?;
            let password = input::new_password(Some(password_input())).map_err(refuse)?;
            let hash = passwords::PasswordHasher::start()?.hash(password).await?;
            let id = accounts::create(&db, &username, &hash, now)
                .await?
                .ok_or_else(|| OperatorError::Refused(format!("the username {:?} is taken", username.as_str())))?;
            security_log::record(&db, id, security_log::Event::Registered, None, None, now).await;
            Ok(Outcome::Created { username: username.as_str().to_owned() })
        }
        UserCommand::List { json } => {
            let accounts = accounts::list(&db)
                .await?
                .into_iter()
                .map(|a| ListedAccount {
                    username: a.username,
                    two_factor: a.two_factor,
                    codes_locked: a.codes_locked,
                    created_at: a.created_at,
                    security_keys: a.security_keys,
                })
                .collect();
            Ok(Outcome::Listed { accounts, json })
        }
        UserCommand::Delete { name } => {
            let (id, username) = find(&db, &name).await?;
            // This process keeps no tokens in memory; a server beside it catches up on its own.
            accounts::delete(&db, &AccessCache::default(), id).await?;
            Ok(Outcome::Deleted { username })
        }
        UserCommand::Reset2fa { name } => {
            let (id, username) = find(&db, &name).await?;
            accounts::disable_two_factor(&db, &AccessCache::default(), id, None).await?;
            security_log::record(&db, id, security_log::Event::TwoFactorResetByOperator, None, None, now).await;
            Ok(Outcome::TwoFactorReset { username })
        }
        UserCommand::Groups { name, groups } => {
            let (id, username) = find(&db, &name).await?;
            let groups = input::groups(&groups).map_err(refuse)?;
            accounts::set_groups(&db, id, &groups).await?;
            Ok(Outcome::Grouped { username, groups })
        }
        UserCommand::Set { name, display_name, email, groups } => {
            let (id, username) = find(&db, &name).await?;
            if let Some(groups) = groups {
                let groups = input::groups(&groups).map_err(refuse)?;
                accounts::set_groups(&db, id, &groups).await?;
                security_log::record(&db, id, security_log::Event::GroupsChangedByOperator, None, None, now).await;
            }
            let display_name = display_name.map(|text| input::display_name(Some(text))).transpose().map_err(refuse)?;
            let email = email.map(|text| input::email(Some(text))).transpose().map_err(refuse)?;
            // The operator vouches for the address they set: it is verified.
            let change = accounts::ProfileChange {
                display_name: display_name.as_ref().map(Option::as_deref),
                email: email.as_ref().map(|email| (email.as_deref(), email.as_ref().map(|_| now))),
            };
            if accounts::change_profile(&db, id, &change).await? == accounts::ProfileSaved::EmailTaken {
                let address = email.flatten().unwrap_or_default();
                let holder =
                    accounts::holder_of_email(&db, &address).await?.unwrap_or_else(|| "another account".into());
                return Err(OperatorError::Refused(format!(
                    "the email address {address:?} already belongs to {holder}: an address belongs to one account only \
                     (compared without regard to case)"
                )));
            }
            Ok(Outcome::ProfileSet { username })
        }
        UserCommand::Disable { name } => {
            let (id, username) = find(&db, &name).await?;
            // This process keeps no tokens in memory; a server beside it catches up on its own.
            domain::storage::people::disable(&db, &AccessCache::default(), id, now).await?;
            security_log::record(&db, id, security_log::Event::DisabledByOperator, None, None, now).await;
            Ok(Outcome::Printed(format!("{username} is disabled")))
        }
        UserCommand::Enable { name } => {
            let (id, username) = find(&db, &name).await?;
            domain::storage::people::enable(&db, id).await?;
            security_log::record(&db, id, security_log::Event::EnabledByOperator, None, None, now).await;
            Ok(Outcome::Printed(format!("{username} is enabled")))
        }
        UserCommand::Unlock { name } => {
            let (id, username) = find(&db, &name).await?;
            throttle::clear_account(&db, id, &username).await?;
            security_log::record(&db, id, security_log::Event::UnlockedByOperator, None, None, now).await;
            Ok(Outcome::Unlocked { username })
        }
    }
}
