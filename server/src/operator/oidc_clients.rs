//! `server oidc …`: the apps (clients) and the signing key. The apps are changed through the
//! domain's `store::apps::Apps`, as the admin console changes them; this process keeps no copy,
//! and announces each change to a server running beside it (`announced`).

use super::{
    database::announced,
    outcome::{OperatorError, Outcome},
};
use crate::{
    infra::database,
    operator::cli::{OidcClientCommand, OidcCommand},
    startup::config::Config,
};
use domain::{
    input,
    openid::store::{
        apps::{Apps, ListedApp},
        clients::{AppError, ClientPolicy, GrantType, NewClient},
        keys,
    },
    AuthError,
};
use secrecy::{ExposeSecret, SecretString};

/// `server oidc …`: the apps (clients) and the signing key.
pub async fn oidc(config: &Config, command: OidcCommand) -> Result<Outcome, OperatorError> {
    let changes = !matches!(command, OidcCommand::Client(OidcClientCommand::List));
    let result = oidc_command(config, command).await;
    announced(config, changes, result)
}

/// The operator's mistakes (a taken id, a bad URI, no such client) are one line; a failure of the
/// database is not theirs.
fn refused(e: AppError) -> OperatorError {
    match e {
        AppError::Failed(e) => OperatorError::Domain(e),
        other => OperatorError::Refused(other.to_string()),
    }
}

fn policy_of(policy: &str) -> Result<ClientPolicy, OperatorError> {
    ClientPolicy::parse(policy)
        .ok_or_else(|| OperatorError::Refused(format!("--policy {policy:?}: use one_factor or two_factor")))
}

/// The `--grant` values; none: `authorization_code` (an app people sign in to, as before the
/// flag existed).
fn grants_of(grants: &[String]) -> Result<Vec<GrantType>, OperatorError> {
    if grants.is_empty() {
        return Ok(vec![GrantType::AuthorizationCode]);
    }
    grants
        .iter()
        .map(|grant| {
            GrantType::parse(grant).ok_or_else(|| {
                OperatorError::Refused(format!("--grant {grant:?}: use authorization_code or client_credentials"))
            })
        })
        .collect()
}

fn groups_of(groups: &str) -> Result<Vec<String>, OperatorError> {
    input::groups(groups).map_err(|e: AuthError| OperatorError::Refused(e.to_string()))
}

/// Who an app is open to, as `list` prints it: the groups, or `(everyone)` (parentheses are not
/// in any group name).
fn open_to(groups: &[String]) -> String {
    if groups.is_empty() {
        "(everyone)".to_owned()
    } else {
        groups.join(",")
    }
}

/// One line of `list`: `ID⇥public/confidential⇥POLICY⇥URIS⇥NAME⇥GROUPS` (the first five as before
/// groups existed); a client that may use `client_credentials` adds `⇥GRANTS⇥SCOPES` (grants
/// comma-separated, scopes space-separated or `(none)`), and one nobody signs in to shows `-` for
/// the policy, the URIs and the groups.
fn listed_line(app: &ListedApp) -> String {
    let nobody_signs_in = app.machine_only();
    let people = |shown: String| if nobody_signs_in { "-".to_owned() } else { shown };
    let mut line = format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        app.client_id,
        if app.public { "public" } else { "confidential" },
        people(app.policy.as_str().to_owned()),
        people(app.redirect_uris.join(" ")),
        app.name,
        people(open_to(&app.allowed_groups))
    );
    if app.grant_types.contains(&GrantType::ClientCredentials) {
        let grants: Vec<&str> = app.grant_types.iter().map(|grant| grant.as_str()).collect();
        let scopes = if app.scopes.is_empty() { "(none)".to_owned() } else { app.scopes.join(" ") };
        line.push_str(&format!("\t{}\t{scopes}", grants.join(",")));
    }
    line
}

fn shown_once(secret: &SecretString) -> String {
    format!("client_secret: {}\n(shown once: only its hash is kept)", secret.expose_secret())
}

async fn oidc_command(config: &Config, command: OidcCommand) -> Result<Outcome, OperatorError> {
    let database = database::connect(&config.database_url).await?;
    database::migrate(&database).await?;
    let db = database.pool.clone();
    let now = config.clock.now();
    let apps = Apps::keeping_nothing(db.clone());
    let command = match command {
        OidcCommand::RotateKey => {
            let source = crate::infra::encryption_key::source_for(config.totp_key.clone(), &database.backend);
            let secret_box = crate::infra::encryption_key::load(&source, &db).await?.secret_box;
            let kid = keys::add(&db, &secret_box, now).await?;
            return Ok(Outcome::Printed(format!(
                "new signing key {kid}: it signs from now on; the JWKS publishes every key"
            )));
        }
        OidcCommand::Client(command) => command,
    };
    match command {
        OidcClientCommand::Add {
            client_id,
            redirect_uris,
            public,
            policy,
            name,
            post_logout_redirect_uris,
            allow_insecure_http,
            groups,
            grants,
            scopes,
        } => {
            let client = NewClient {
                client_id,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                public,
                policy: policy_of(&policy)?,
                allowed_groups: groups_of(groups.as_deref().unwrap_or_default())?,
                allow_insecure_http,
                grant_types: grants_of(&grants)?,
                scopes,
            };
            let secret = apps.add(&client, now).await.map_err(refused)?;
            Ok(Outcome::Printed(match secret {
                Some(secret) => format!("client {} added\n{}", client.client_id, shown_once(&secret)),
                None => format!("public client {} added (no secret: it must use PKCE)", client.client_id),
            }))
        }
        OidcClientCommand::List => {
            let listed = apps.list().await.map_err(refused)?;
            if listed.is_empty() {
                return Ok(Outcome::Printed("no clients".into()));
            }
            Ok(Outcome::Printed(listed.iter().map(listed_line).collect::<Vec<_>>().join("\n")))
        }
        OidcClientCommand::Delete { client_id } => {
            apps.delete(&client_id).await.map_err(refused)?;
            Ok(Outcome::Printed(format!("deleted client {client_id} and every token it held")))
        }
        OidcClientCommand::Groups { client_id, groups } => {
            let groups = groups_of(&groups)?;
            apps.set_allowed_groups(&client_id, &groups).await.map_err(refused)?;
            Ok(Outcome::Printed(format!("client {client_id} is open to {}", open_to(&groups))))
        }
        OidcClientCommand::RotateSecret { client_id } => {
            let secret = apps.rotate_secret(&client_id).await.map_err(refused)?;
            Ok(Outcome::Printed(format!(
                "client {client_id} has a new secret; the old one no longer works\n{}",
                shown_once(&secret)
            )))
        }
        OidcClientCommand::Policy { client_id, policy } => {
            let policy = policy_of(&policy)?;
            apps.set_policy(&client_id, policy).await.map_err(refused)?;
            Ok(Outcome::Printed(format!("client {client_id}: policy {}", policy.as_str())))
        }
    }
}
