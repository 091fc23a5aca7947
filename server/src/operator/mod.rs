//! What the operator subcommands do. Each returns a typed `Outcome` (what to print, whether it
//! succeeded) or an `OperatorError`; `main` prints them and sets the exit code (0 done, 1 refused
//! or not found). The SQL is the domain's storage; the checks are the domain's input rules.

pub mod cli;

use crate::{
    infra::database,
    operator::cli::{AuthzCommand, OidcClientCommand, OidcCommand, OtpCommand, UserCommand},
    startup::{config::Config, error::StartupError},
};
use domain::{
    credentials::{
        otp::{Match, Now, Otp, OtpSecret},
        otp_params::{OtpKind, OtpParams},
        passwords, secret_box,
    },
    input,
    storage::{accounts, security_log, throttle},
    AuthError, Clock,
};
use sqlx::AnyPool;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The command cannot be done as asked (a taken name, a short password, a malformed key).
    #[error("{0}")]
    Refused(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("database")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Domain(#[from] AuthError),
}

/// What a command did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Migrated,
    Grouped {
        username: String,
        groups: Vec<String>,
    },
    ProfileSet {
        username: String,
    },
    Created {
        username: String,
    },
    Listed {
        accounts: Vec<ListedAccount>,
        json: bool,
    },
    Deleted {
        username: String,
    },
    TwoFactorReset {
        username: String,
    },
    Unlocked {
        username: String,
    },
    /// A value to print: a new key, a code, an otpauth URI.
    Printed(String),
    /// `otp verify`: valid (exit 0) or invalid (exit 1).
    Verified(bool),
}

#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedAccount {
    pub username: String,
    pub two_factor: bool,
    pub codes_locked: bool,
    pub created_at: i64,
    /// How many security keys the account has.
    pub security_keys: i64,
}

impl Outcome {
    /// The lines printed on standard output.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Outcome::Migrated => vec!["migrations applied".into()],
            Outcome::Created { username } => vec![format!("created {username}")],
            Outcome::Listed { accounts, json: true } => {
                vec![serde_json::to_string(accounts).unwrap_or_else(|_| "[]".into())]
            }
            Outcome::Listed { accounts, json: false } => accounts
                .iter()
                .map(|a| {
                    let on = |yes: bool, word: &'static str, other: &'static str| if yes { word } else { other };
                    format!(
                        "{}\t2fa={}\tlocked={}\tkeys={}",
                        a.username,
                        on(a.two_factor, "on", "off"),
                        on(a.codes_locked, "yes", "no"),
                        a.security_keys
                    )
                })
                .collect(),
            Outcome::Deleted { username } => vec![format!("deleted {username}")],
            Outcome::TwoFactorReset { username } => {
                vec![format!("two-factor authentication is off for {username}; recovery codes voided")]
            }
            Outcome::Unlocked { username } => vec![format!("sign-in limits cleared for {username}")],
            Outcome::Grouped { username, groups } if groups.is_empty() => vec![format!("{username} is in no group")],
            Outcome::Grouped { username, groups } => vec![format!("{username} is in {}", groups.join(", "))],
            Outcome::ProfileSet { username } => vec![format!("profile set for {username}")],
            Outcome::Printed(text) => vec![text.clone()],
            Outcome::Verified(valid) => vec![if *valid { "valid" } else { "invalid" }.to_owned()],
        }
    }

    /// Whether the command exits 0.
    pub fn succeeded(&self) -> bool {
        !matches!(self, Outcome::Verified(false))
    }
}

async fn open_database(config: &Config) -> Result<AnyPool, OperatorError> {
    let db = database::connect(&config.database_url).await?;
    database::migrate(&db).await?;
    Ok(db.pool)
}

pub async fn migrate(config: &Config) -> Result<Outcome, OperatorError> {
    open_database(config).await?;
    Ok(Outcome::Migrated)
}

async fn find(db: &AnyPool, name: &str) -> Result<(i64, String), OperatorError> {
    accounts::find_id(db, name).await?.ok_or_else(|| OperatorError::NoSuchUser(name.to_owned()))
}

/// `result`, and when it is a change that succeeded, announced to a server running on the same
/// SQLite file, which then catches up at once (`outside_changes`). Should the file beside the
/// database not be writable, the server still sees the change within a second (what it keeps
/// in memory lives that long): say so.
fn announced(config: &Config, changes: bool, result: Result<Outcome, OperatorError>) -> Result<Outcome, OperatorError> {
    let path = database::sqlite_path(&config.database_url).filter(|_| changes && result.is_ok());
    if let Some(Err(e)) = path.map(|path| domain::storage::outside_changes::announce(&path)) {
        eprintln!("note: a server running on this database may take up to a second to see this change ({e})");
    }
    result
}

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
            let hash = passwords::hash(password).await?;
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
            accounts::delete(&db, id).await?;
            Ok(Outcome::Deleted { username })
        }
        UserCommand::Reset2fa { name } => {
            let (id, username) = find(&db, &name).await?;
            accounts::disable_two_factor(&db, id, None).await?;
            security_log::record(&db, id, security_log::Event::TwoFactorResetByOperator, None, None, now).await;
            Ok(Outcome::TwoFactorReset { username })
        }
        UserCommand::Groups { name, groups } => {
            let (id, username) = find(&db, &name).await?;
            let groups = input::groups(&groups).map_err(refuse)?;
            accounts::set_groups(&db, id, &groups).await?;
            Ok(Outcome::Grouped { username, groups })
        }
        UserCommand::Set { name, display_name, email } => {
            let (id, username) = find(&db, &name).await?;
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
        UserCommand::Unlock { name } => {
            let (id, username) = find(&db, &name).await?;
            throttle::clear_account(&db, id, &username).await?;
            security_log::record(&db, id, security_log::Event::UnlockedByOperator, None, None, now).await;
            Ok(Outcome::Unlocked { username })
        }
    }
}

/// `server authz check`: which rule matches, and its decision.
pub async fn authz(config: &Config, command: AuthzCommand) -> Result<Outcome, OperatorError> {
    use domain::access_rules::{Decision, Subject};
    let AuthzCommand::Check { url, user, method } = command;
    let target = domain::request_target::Target::parse(&url, &method)
        .map_err(|why| OperatorError::Refused(format!("{url:?} cannot be judged: {why}")))?;
    let subject = match user {
        None => Subject::default(),
        Some(name) => {
            let db = open_database(config).await?;
            let (id, username) = find(&db, &name).await?;
            let groups = domain::storage::accounts::groups_of_account(&db, id).await?;
            Subject { username: Some(username), groups }
        }
    };
    let rules = &config.settings.access_rules;
    let (matched, decision) = match rules.decide(&target, &subject) {
        Decision::Policy { policy, rule: Some(index) } => (rules.describe(index), policy.name().to_owned()),
        Decision::Policy { policy, rule: None } => ("no rule: default_policy".to_owned(), policy.name().to_owned()),
        Decision::SignInFirst { rule } => (rules.describe(rule), "sign in first (the rule has subjects)".to_owned()),
        Decision::Forbidden => ("no rule for this user".to_owned(), "deny (403)".to_owned()),
    };
    Ok(Outcome::Printed(format!("matched: {matched}\ndecision: {decision}")))
}

/// `server oidc …`: the apps (clients) and the signing key.
pub async fn oidc(config: &Config, command: OidcCommand) -> Result<Outcome, OperatorError> {
    let changes = !matches!(command, OidcCommand::Client(OidcClientCommand::List));
    let result = oidc_command(config, command).await;
    announced(config, changes, result)
}

async fn oidc_command(config: &Config, command: OidcCommand) -> Result<Outcome, OperatorError> {
    use domain::openid::{
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
            if clients::delete(&db, &client_id).await? {
                Ok(Outcome::Printed(format!("deleted client {client_id} and every token it held")))
            } else {
                Err(OperatorError::Refused(format!("no client named {client_id:?}")))
            }
        }
    }
}

/// The first line of standard input, without its line ending.
pub fn first_line_of_stdin() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_owned()
}

/// The OTP helpers (TOTP: SHA1, 6 digits, 30 s; HOTP: SHA1, 6 digits), on the domain's one
/// parametric OTP type. `--secret -` reads the key from standard input, so it stays out of `ps`
/// and shell history.
pub fn otp(command: OtpCommand, clock: &Clock) -> Result<Outcome, OperatorError> {
    let key = |text: &str| {
        let text = if text == "-" { first_line_of_stdin() } else { text.to_owned() };
        OtpSecret::parse_base32(&text).map_err(OperatorError::Refused)
    };
    let totp = OtpParams::default();
    let now = Now::at(clock.now());
    Ok(match command {
        OtpCommand::Secret { hex } => {
            let secret = OtpSecret::generate();
            Outcome::Printed(if hex { secret_box::to_hex(secret.as_bytes()) } else { secret.to_base32() })
        }
        OtpCommand::Now { key: arg } => Outcome::Printed(Otp::new(&key(&arg.secret)?, totp).current_code(now)),
        OtpCommand::Verify { key: arg, code } => {
            let secret = key(&arg.secret)?;
            let code = input::one_time_code(Some(code)).map_err(|e| OperatorError::Refused(e.to_string()))?;
            Outcome::Verified(matches!(Otp::new(&secret, totp).check(&code, now), Match::Within(_)))
        }
        OtpCommand::Hotp { key: arg, counter } => {
            let hotp = OtpParams { kind: OtpKind::Hotp, ..totp };
            Outcome::Printed(Otp::new(&key(&arg.secret)?, hotp).code_at(counter))
        }
        OtpCommand::Uri { key: arg, account, issuer } => {
            Outcome::Printed(Otp::new(&key(&arg.secret)?, totp).otpauth_uri(&issuer, &account))
        }
    })
}
