//! What the operator subcommands do. Each returns the lines to print, or an error said in one
//! line; `main` turns them into output and exit codes (0 done, 1 refused or not found).

use crate::{
    cli::{OtpCommand, UserCommand},
    config::Config,
    database, StartupError,
};
use app::server::{
    accounts,
    clock::now_unix,
    input, passwords, security_log, throttle,
    totp::{self, TotpSecret},
};
use sqlx::{AnyPool, Row};

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("{0}")]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Refused(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

async fn open_database(config: &Config) -> Result<AnyPool, OperatorError> {
    let db = database::connect(&config.database_url).await?;
    database::migrate(&db).await?;
    Ok(db.pool)
}

pub async fn migrate(config: &Config) -> Result<Vec<String>, OperatorError> {
    open_database(config).await?;
    Ok(vec!["migrations applied".into()])
}

async fn find_id(db: &AnyPool, name: &str) -> Result<(i64, String), OperatorError> {
    let row = sqlx::query("SELECT id, username FROM users WHERE username_key = $1")
        .bind(name.to_ascii_lowercase())
        .fetch_optional(db)
        .await?
        .ok_or_else(|| OperatorError::Refused(format!("no user named {name:?}")))?;
    Ok((row.try_get("id")?, row.try_get("username")?))
}

pub async fn user(
    config: &Config,
    command: UserCommand,
    password_input: impl FnOnce() -> String,
) -> Result<Vec<String>, OperatorError> {
    let db = open_database(config).await?;
    match command {
        UserCommand::Add { name } => {
            let refuse = |e: app::server::error::AuthError| OperatorError::Refused(e.to_string());
            let username = input::new_username(Some(name)).map_err(refuse)?;
            let password = input::new_password(Some(password_input())).map_err(refuse)?;
            let hash = passwords::hash(password).await.map_err(refuse)?;
            let id = accounts::create(&db, &username, &hash)
                .await?
                .ok_or_else(|| OperatorError::Refused(format!("the username {:?} is taken", username.as_str())))?;
            security_log::record(&db, id, security_log::Event::Registered, None).await;
            Ok(vec![format!("created {}", username.as_str())])
        }
        UserCommand::List { json } => {
            let rows = sqlx::query(
                "SELECT username, totp_secret IS NOT NULL AS two_factor, second_factor_failures, created_at
                 FROM users ORDER BY username_key",
            )
            .fetch_all(&db)
            .await?;
            let mut users = Vec::new();
            for row in rows {
                let two_factor: bool = match row.try_get::<bool, _>("two_factor") {
                    Ok(value) => value,
                    Err(_) => row.try_get::<i64, _>("two_factor")? != 0,
                };
                users.push(serde_json::json!({
                    "username": row.try_get::<String, _>("username")?,
                    "two_factor": two_factor,
                    "codes_locked": row.try_get::<i64, _>("second_factor_failures")? >= throttle::SECOND_FACTOR_LOCK_FAILURES,
                    "created_at": row.try_get::<i64, _>("created_at")?,
                }));
            }
            if json {
                return Ok(vec![serde_json::Value::Array(users).to_string()]);
            }
            Ok(users
                .iter()
                .map(|u| {
                    format!(
                        "{}\t2fa={}\tlocked={}",
                        u["username"].as_str().unwrap_or(""),
                        if u["two_factor"] == true { "on" } else { "off" },
                        if u["codes_locked"] == true { "yes" } else { "no" }
                    )
                })
                .collect())
        }
        UserCommand::Delete { name } => {
            let (id, username) = find_id(&db, &name).await?;
            let mut tx = db.begin().await?;
            for table in ["security_events", "recovery_codes", "totp_enrollments"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1")).bind(id).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            // Its sessions end on their next request (the account is gone).
            Ok(vec![format!("deleted {username}")])
        }
        UserCommand::Reset2fa { name } => {
            let (id, username) = find_id(&db, &name).await?;
            accounts::disable_two_factor(&db, id, None).await?;
            security_log::record(&db, id, security_log::Event::TwoFactorResetByOperator, None).await;
            Ok(vec![format!("two-factor authentication is off for {username}; recovery codes voided")])
        }
        UserCommand::Unlock { name } => {
            let (id, username) = find_id(&db, &name).await?;
            throttle::clear_second_factor_failures(&db, id).await?;
            sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
                .bind(throttle::username_key(&username))
                .execute(&db)
                .await?;
            security_log::record(&db, id, security_log::Event::UnlockedByOperator, None).await;
            Ok(vec![format!("sign-in limits cleared for {username}")])
        }
    }
}

/// The first line of standard input, without its line ending.
pub fn first_line_of_stdin() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_owned()
}

/// The OTP helpers. `Ok((lines, success))`: `verify` prints "invalid" and fails without error.
/// `--secret -` reads the key from standard input, so it stays out of `ps` and shell history.
pub fn otp(command: OtpCommand) -> Result<(Vec<String>, bool), OperatorError> {
    let key = |text: &str| {
        let text = if text == "-" { first_line_of_stdin() } else { text.to_owned() };
        totp::parse_base32_secret(&text).map_err(OperatorError::Refused)
    };
    let now = u64::try_from(now_unix()).unwrap_or(0);
    Ok(match command {
        OtpCommand::Secret { hex } => {
            let secret = TotpSecret::generate();
            let text = if hex { app::server::secret_box::to_hex(secret.as_bytes()) } else { secret.to_base32() };
            (vec![text], true)
        }
        OtpCommand::Now { key: arg } => {
            let secret = key(&arg.secret)?;
            let code = totp::code_at_step(&secret, totp::time_step(now), totp::DIGITS, totp::Algorithm::SHA1)
                .ok_or_else(|| OperatorError::Refused("cannot compute a code for this key".into()))?;
            (vec![code], true)
        }
        OtpCommand::Verify { key: arg, code } => {
            let secret = key(&arg.secret)?;
            let code = input::one_time_code(Some(code)).map_err(|e| OperatorError::Refused(e.to_string()))?;
            let valid = totp::matching_step(&secret, &code, now).is_some();
            (vec![if valid { "valid" } else { "invalid" }.to_owned()], valid)
        }
        OtpCommand::Hotp { key: arg, counter } => {
            let secret = key(&arg.secret)?;
            (vec![totp::hotp_code(&secret, counter, totp::DIGITS, totp::Algorithm::SHA1)], true)
        }
        OtpCommand::Uri { key: arg, account, issuer } => {
            let secret = key(&arg.secret)?;
            (vec![totp::otpauth_uri(&secret, &issuer, &account)], true)
        }
    })
}
