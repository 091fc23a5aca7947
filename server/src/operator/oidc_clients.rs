//! `server oidc …`: the apps (clients) and the signing key.

use super::{
    database::announced,
    outcome::{OperatorError, Outcome},
};
use crate::{
    infra::database,
    operator::cli::{OidcClientCommand, OidcCommand},
    startup::config::Config,
};

/// `server oidc …`: the apps (clients) and the signing key.
pub async fn oidc(config: &Config, command: OidcCommand) -> Result<Outcome, OperatorError> {
    let changes = !matches!(command, OidcCommand::Client(OidcClientCommand::List));
    let result = oidc_command(config, command).await;
    announced(config, changes, result)
}

async fn oidc_command(config: &Config, command: OidcCommand) -> Result<Outcome, OperatorError> {
    use domain::openid::store::{
        clients::{self, ClientPolicy, NewClient},
        keys,
    };
    let database = database::connect(&config.database_url).await?;
    database::migrate(&database).await?;
    let db = database.pool.clone();
    let now = config.clock.now();
    match command {
        OidcCommand::RotateKey => {
            let source = crate::infra::encryption_key::source_for(config.totp_key.clone(), &database.backend);
            let secret_box = crate::infra::encryption_key::load(&source, &db).await?.secret_box;
            let kid = keys::add(&db, &secret_box, now).await?;
            Ok(Outcome::Printed(format!("new signing key {kid}: it signs from now on; the JWKS publishes every key")))
        }
        OidcCommand::Client(OidcClientCommand::Add {
            client_id,
            redirect_uris,
            public,
            policy,
            name,
            post_logout_redirect_uris,
            allow_insecure_http,
        }) => {
            let policy = ClientPolicy::parse(&policy)
                .ok_or_else(|| OperatorError::Refused(format!("--policy {policy:?}: use one_factor or two_factor")))?;
            let client = NewClient {
                client_id,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                public,
                policy,
                allow_insecure_http,
            };
            let secret = clients::add(&db, &client, now).await.map_err(|e| OperatorError::Refused(e.to_string()))?;
            Ok(Outcome::Printed(match secret {
                Some(secret) => format!(
                    "client {} added\nclient_secret: {secret}\n(shown once: only its hash is kept)",
                    client.client_id
                ),
                None => format!("public client {} added (no secret: it must use PKCE)", client.client_id),
            }))
        }
        OidcCommand::Client(OidcClientCommand::List) => {
            let listed = clients::list(&db).await?;
            if listed.is_empty() {
                return Ok(Outcome::Printed("no clients".into()));
            }
            let lines: Vec<String> = listed
                .iter()
                .map(|c| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}",
                        c.client_id,
                        if c.is_public() { "public" } else { "confidential" },
                        c.policy.as_str(),
                        c.redirect_uris.join(" "),
                        c.name
                    )
                })
                .collect();
            Ok(Outcome::Printed(lines.join("\n")))
        }
        OidcCommand::Client(OidcClientCommand::Delete { client_id }) => {
            if clients::delete(&db, &Default::default(), &client_id).await? {
                Ok(Outcome::Printed(format!("deleted client {client_id} and every token it held")))
            } else {
                Err(OperatorError::Refused(format!("no client named {client_id:?}")))
            }
        }
    }
}
