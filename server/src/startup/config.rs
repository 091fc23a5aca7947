//! The configuration: one clap definition per setting (`ConfigArgs`), read from the command line
//! or, as operators usually give it, from the environment variable named beside it. Each
//! setting's name, default and help text are written once, here: `server --help` prints them and
//! the README's table is checked against that output (`server/tests/cli.rs`). Everything is
//! checked before anything starts; a bad value is one clear line naming the variable.
//!
//! One piece (over 350 lines, a fifth of them tests): every setting once, with its parser, so
//! `--help`, the README's table and the checks cannot drift apart.

use crate::{
    infra::{
        encryption_key::KeySource,
        mail::smtp_url::{self, SmtpTarget},
        session_store::Lifetimes,
    },
    startup::error::StartupError,
};
use clap::{builder::BoolishValueParser, ArgAction, Args, ValueEnum};
use domain::{
    access_rules::AccessRules,
    credentials::otp_params::{parse_algorithm, Algorithm, OtpKind, OtpParams},
    mail::MailIdentity,
    Clock, Settings,
};
use leptos::config::{Env, LeptosOptions};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db";

/// Every setting of the server. Each may be given as an option or as its environment variable.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Configuration (each option may also be set by the environment variable shown)")]
pub struct ConfigArgs {
    /// The database: sqlite://path (the file and its folder are created) or
    /// postgres://user:password@host/database
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The address and port to listen on
    #[arg(long, env = "LEPTOS_SITE_ADDR", value_name = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,
    /// The folder cargo-leptos built (pkg/ inside)
    #[arg(long, env = "LEPTOS_SITE_ROOT", value_name = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Where the JS, WASM and CSS are, under the site root
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", value_name = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    pub site_pkg_dir: String,
    /// The file names of the JS, WASM and CSS
    #[arg(long, env = "LEPTOS_OUTPUT_NAME", value_name = "LEPTOS_OUTPUT_NAME", default_value = "totp-signin")]
    pub output_name: String,
    /// Content-hashed JS/WASM/CSS names (cargo-leptos hash-files) [default: true when hash.txt is
    /// beside the binary]
    #[arg(long, env = "LEPTOS_HASH_FILES", value_name = "LEPTOS_HASH_FILES", value_parser = BoolishValueParser::new())]
    pub hash_files: Option<bool>,
    /// DEV or PROD
    #[arg(long, env = "LEPTOS_ENV", value_name = "LEPTOS_ENV", default_value = "DEV", value_parser = parse_leptos_env)]
    pub leptos_env: Env,
    /// Base64 of 32 bytes: the key for TOTP secrets at rest (or use TOTP_KEY_FILE)
    #[arg(
        long,
        env = "TOTP_ENCRYPTION_KEY",
        value_name = "TOTP_ENCRYPTION_KEY",
        hide_env_values = true,
        conflicts_with = "totp_key_file"
    )]
    pub totp_encryption_key: Option<String>,
    /// A file holding that key [default: totp.key beside the SQLite database, created (0600) on
    /// first run]
    #[arg(long, env = "TOTP_KEY_FILE", value_name = "TOTP_KEY_FILE")]
    pub totp_key_file: Option<PathBuf>,
    /// The name authenticator apps show above the code
    #[arg(long, env = "TOTP_ISSUER", value_name = "TOTP_ISSUER", default_value = "TwoFactorSignin")]
    pub totp_issuer: String,
    /// Time-based (totp) or counter-based (hotp) codes for new enrollments
    #[arg(long, env = "OTP_TYPE", value_name = "OTP_TYPE", default_value = "totp", ignore_case = true)]
    pub otp_type: OtpType,
    /// SHA1, SHA256 or SHA512, for new enrollments
    #[arg(long, env = "OTP_ALGORITHM", value_name = "OTP_ALGORITHM", default_value = "SHA1", value_parser = parse_otp_algorithm)]
    pub otp_algorithm: Algorithm,
    /// 6 or 8 digits, for new enrollments
    #[arg(long, env = "OTP_DIGITS", value_name = "OTP_DIGITS", default_value_t = 6, value_parser = clap::value_parser!(u8).range(6..=8))]
    pub otp_digits: u8,
    /// 30 or 60 seconds per TOTP code
    #[arg(long, env = "OTP_PERIOD", value_name = "OTP_PERIOD", default_value_t = 30, value_parser = clap::value_parser!(u64).range(30..=60))]
    pub otp_period: u64,
    /// TOTP steps accepted either side of the current one (0 or 1)
    #[arg(long, env = "OTP_SKEW", value_name = "OTP_SKEW", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=1))]
    pub otp_skew: u64,
    /// HOTP counter values looked ahead (1 to 100)
    #[arg(long, env = "HOTP_WINDOW", value_name = "HOTP_WINDOW", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub hotp_window: u64,
    /// true when served over https (cookies Secure, __Host- names)
    #[arg(long, env = "SECURE_COOKIES", value_name = "SECURE_COOKIES", default_value = "false", value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub secure_cookies: bool,
    /// A session unused this long ends (45s, 30m, 12h, 7d or seconds)
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", value_name = "SESSION_IDLE_TIMEOUT", default_value = "30m", value_parser = parse_duration_arg)]
    pub session_idle_timeout: Duration,
    /// The absolute lifetime of a session, however busy
    #[arg(long, env = "SESSION_MAX_AGE", value_name = "SESSION_MAX_AGE", default_value = "12h", value_parser = parse_duration_arg)]
    pub session_max_age: Duration,
    /// open or closed (accounts are then made with `server user add`) [default: open; closed
    /// when ACCESS_RULES_FILE or COOKIE_DOMAIN is set]
    #[arg(long, env = "REGISTRATION", value_name = "REGISTRATION", ignore_case = true)]
    pub registration: Option<Registration>,
    /// Accounts one client address may create per hour
    #[arg(long, env = "REGISTRATION_LIMIT", value_name = "REGISTRATION_LIMIT", default_value_t = 20)]
    pub registration_limit: u32,
    /// The portal's address as browsers see it, e.g. https://auth.example.com: every redirect to
    /// the portal is built from it [default: http:// + LEPTOS_SITE_ADDR]
    #[arg(long, env = "PUBLIC_URL", value_name = "PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The parent domain of the protected apps, e.g. example.com: the session cookie gets
    /// Domain=example.com [default: unset, a host-only cookie]
    #[arg(long, env = "COOKIE_DOMAIN", value_name = "COOKIE_DOMAIN", value_parser = parse_cookie_domain)]
    pub cookie_domain: Option<String>,
    /// Comma-separated IPs or CIDRs whose X-Forwarded-For is believed for the client address
    /// [default: none]
    #[arg(long, env = "TRUSTED_PROXIES", value_name = "TRUSTED_PROXIES", value_parser = parse_proxies)]
    pub trusted_proxies: Option<TrustedProxies>,
    /// A TOML file of access rules for the forward-auth gate [default: every protected request
    /// needs two factors]
    #[arg(long, env = "ACCESS_RULES_FILE", value_name = "ACCESS_RULES_FILE")]
    pub access_rules_file: Option<PathBuf>,
    /// The group whose members (signed in with two factors) may use the operator's console at
    /// /admin
    #[arg(long, env = "ADMIN_GROUP", value_name = "ADMIN_GROUP", default_value = "admins")]
    pub admin_group: String,
    /// on or off: passkeys (sign in with a passkey alone, "Add a passkey"); off hides and refuses
    /// them (security keys as a second factor keep working)
    #[arg(long, env = "PASSKEYS", value_name = "PASSKEYS", default_value = "on", value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub passkeys: bool,
    /// How many days "Don't ask again on this device" lets the password alone sign in on a
    /// browser after a sign-in with two factors (0: the choice is not offered)
    #[arg(long, env = "REMEMBER_DEVICE_DAYS", value_name = "REMEMBER_DEVICE_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=400))]
    pub remember_device_days: u32,
    /// Where mail is handed over: smtp://user:password@host:587 (STARTTLS), smtps://… (TLS),
    /// smtp://host:25?tls=none (a local relay); unset, no verification links, password reset,
    /// notices or invitations by mail [default: off]
    #[arg(long, env = "SMTP_URL", value_name = "SMTP_URL", hide_env_values = true, requires = "mail_from")]
    pub smtp_url: Option<String>,
    /// The sender of every message, e.g. "Sign-in <auth@example.com>" (needed with SMTP_URL)
    #[arg(long, env = "MAIL_FROM", value_name = "MAIL_FROM", value_parser = parse_mail_from, requires = "smtp_url")]
    pub mail_from: Option<MailIdentity>,
    /// Password reset requests answered with a mail, per account and per client address, in an
    /// hour
    #[arg(long, env = "RESET_LIMIT", value_name = "RESET_LIMIT", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub reset_limit: u32,
    /// How log lines are written: text for a person, or json (one object per line, with each
    /// request's id)
    #[arg(long, env = "LOG_FORMAT", value_name = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Where to serve Prometheus metrics (GET /metrics), e.g. 127.0.0.1:9464, never on the public
    /// address [default: off]
    #[arg(long, env = "METRICS_ADDR", value_name = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OtpType {
    Totp,
    Hotp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    Open,
    Closed,
}

/// The checked configuration the server starts from.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub leptos: LeptosOptions,
    pub settings: Settings,
    /// Where the TOTP encryption key comes from; `None`: the default file beside the database.
    pub totp_key: Option<KeySource>,
    /// The idle timeout and absolute lifetime of sessions.
    pub sessions: Lifetimes,
    /// The one clock of the sign-in (a manual one in tests).
    pub clock: Clock,
    /// What the operator should hear at start-up (one line each).
    pub warnings: Vec<String>,
    pub log_format: LogFormat,
    /// Where `/metrics` is served (`None`: no metrics are recorded).
    pub metrics_addr: Option<SocketAddr>,
    /// Where mail is handed over (`None`: no mail; then `settings.mail` is `None` too).
    pub smtp: Option<SmtpTarget>,
}

/// A duration as operators write it: `45s`, `30m`, `12h`, `7d`, or a number of seconds (the
/// domain's parser, which the access rules' `max_age` reads too).
pub use domain::duration::parse as parse_duration;

fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    // clap names the variable (or option) and the value; this says what is expected.
    parse_duration(text).ok_or_else(|| "not a duration such as 45s, 30m, 12h or 7d".to_owned())
}

fn parse_leptos_env(text: &str) -> Result<Env, String> {
    match text.to_ascii_uppercase().as_str() {
        "DEV" | "DEVELOPMENT" => Ok(Env::DEV),
        "PROD" | "PRODUCTION" => Ok(Env::PROD),
        _ => Err("must be DEV or PROD".to_owned()),
    }
}

fn parse_public_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let uri: http::Uri = url.parse().map_err(|_| "not a URL such as https://auth.example.com".to_owned())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) if uri.path() == "/" || uri.path().is_empty() => Ok(url.to_owned()),
        _ => Err("must be http(s)://host[:port], without a path, such as https://auth.example.com".to_owned()),
    }
}

fn parse_cookie_domain(text: &str) -> Result<String, String> {
    let domain = text.trim().trim_start_matches('.').to_ascii_lowercase();
    let valid = !domain.is_empty()
        && domain
            .split('.')
            .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    valid.then_some(domain).ok_or_else(|| "must be a domain name such as example.com".to_owned())
}

/// `TRUSTED_PROXIES` as given: addresses and CIDR ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

fn parse_proxies(text: &str) -> Result<TrustedProxies, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<ipnet::IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{part:?} is not an IP address or CIDR range"))
        })
        .collect::<Result<_, _>>()
        .map(TrustedProxies)
}

fn parse_mail_from(text: &str) -> Result<MailIdentity, String> {
    MailIdentity::new(text)
        .ok_or_else(|| "not an address such as auth@example.com or \"Sign-in <auth@example.com>\"".to_owned())
}

fn parse_otp_algorithm(text: &str) -> Result<Algorithm, String> {
    parse_algorithm(text).ok_or_else(|| "must be SHA1, SHA256 or SHA512".to_owned())
}

/// The build wrote `hash.txt` (the content hashes of the JS, WASM and CSS names) beside the
/// binary, where Leptos reads it: then the pages link the hashed names.
fn hash_txt_beside_binary() -> bool {
    std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("hash.txt").is_file())).unwrap_or(false)
}

impl ConfigArgs {
    /// The settings as given, checked.
    pub fn into_config(self) -> Result<Config, StartupError> {
        if self.otp_digits == 7 {
            return Err(StartupError::Config("OTP_DIGITS=7: codes have 6 or 8 digits".into()));
        }
        if !matches!(self.otp_period, 30 | 60) {
            return Err(StartupError::Config(format!("OTP_PERIOD={}: a code lasts 30 or 60 seconds", self.otp_period)));
        }
        let leptos = LeptosOptions::builder()
            .output_name(self.output_name)
            .site_root(self.site_root)
            .site_pkg_dir(self.site_pkg_dir)
            .site_addr(self.site_addr)
            .env(self.leptos_env)
            .hash_files(self.hash_files.unwrap_or_else(hash_txt_beside_binary))
            .build();
        let otp_policy = match self.otp_type {
            OtpType::Totp => OtpParams {
                kind: OtpKind::Totp,
                algorithm: self.otp_algorithm,
                digits: usize::from(self.otp_digits),
                period: self.otp_period,
                window: self.otp_skew,
            },
            OtpType::Hotp => OtpParams {
                kind: OtpKind::Hotp,
                algorithm: self.otp_algorithm,
                digits: usize::from(self.otp_digits),
                period: self.otp_period,
                window: self.hotp_window,
            },
        };
        // A gate in front of other apps is for the operator's people, not for anyone.
        let registration_open = match self.registration {
            Some(choice) => choice == Registration::Open,
            None => self.access_rules_file.is_none() && self.cookie_domain.is_none(),
        };
        let access_rules = match &self.access_rules_file {
            None => AccessRules::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| StartupError::file(format!("cannot read ACCESS_RULES_FILE {}", path.display()), e))?;
                AccessRules::parse(&text)
                    .map_err(|e| StartupError::Config(format!("ACCESS_RULES_FILE {}: {e}", path.display())))?
            }
        };
        let mut warnings = Vec::new();
        let gate = self.access_rules_file.is_some() || self.cookie_domain.is_some();
        if registration_open && gate && access_rules.lets_any_account_through() {
            warnings.push(
                "REGISTRATION=open with access rules that let any signed-in account through: anyone can make an account and pass them"
                    .to_owned(),
            );
        }
        // Read here rather than by clap, whose errors repeat the value: this one holds a password.
        let smtp = match &self.smtp_url {
            Some(text) => Some(smtp_url::parse(text).map_err(|e| StartupError::Config(format!("SMTP_URL: {e}")))?),
            None => None,
        };
        let settings = Settings {
            public_url: self.public_url.unwrap_or_else(|| format!("http://{}", self.site_addr)),
            cookie_domain: self.cookie_domain.clone(),
            access_rules: std::sync::Arc::new(access_rules),
            trusted_proxies: self.trusted_proxies.map(|p| p.0).unwrap_or_default(),
            issuer: self.totp_issuer,
            otp_policy,
            registration_open,
            registrations_per_address_per_hour: self.registration_limit,
            secure_cookies: self.secure_cookies,
            admin_group: self.admin_group.trim().to_owned(),
            passkeys: self.passkeys,
            remember_device_days: self.remember_device_days,
            mail: self.mail_from.filter(|_| self.smtp_url.is_some()),
            reset_requests_per_hour: self.reset_limit,
            ..Settings::default()
        };
        let totp_key = match (self.totp_encryption_key, self.totp_key_file) {
            (Some(value), _) => Some(KeySource::Value(value)),
            (None, Some(path)) => Some(KeySource::File { path, create: false }),
            (None, None) => None,
        };
        Ok(Config {
            database_url: self.database_url,
            leptos,
            settings,
            totp_key,
            sessions: Lifetimes { idle: self.session_idle_timeout, max_age: self.session_max_age },
            clock: Clock::System,
            warnings,
            log_format: self.log_format,
            metrics_addr: self.metrics_addr,
            smtp,
        })
    }
}

impl Config {
    /// A configuration for tests: port 0 (any free port), the given database, and a manual clock
    /// at the present time (tests move it instead of waiting).
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        let leptos = LeptosOptions::builder()
            .output_name("totp-signin")
            .site_root("target/site")
            .site_pkg_dir("pkg")
            .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .build();
        Self {
            database_url: database_url.into(),
            leptos,
            settings: Settings::default(),
            totp_key: None,
            sessions: Lifetimes::default(),
            clock: Clock::manual_from_now(),
            warnings: Vec::new(),
            log_format: LogFormat::Text,
            metrics_addr: None,
            smtp: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_kept_without_a_trailing_slash_and_without_a_path() {
        assert_eq!(parse_public_url("https://auth.example.com/").as_deref(), Ok("https://auth.example.com"));
        assert_eq!(parse_public_url(" http://127.0.0.1:3000 ").as_deref(), Ok("http://127.0.0.1:3000"));
        assert!(parse_public_url("https://auth.example.com/portal").is_err());
        assert!(parse_public_url("ftp://auth.example.com").is_err());
        assert!(parse_public_url("auth.example.com").is_err());
    }
    use clap::Parser;

    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        config: ConfigArgs,
    }

    fn parse(args: &[&str]) -> Result<Config, String> {
        let only =
            Only::try_parse_from(std::iter::once("server").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        only.config.into_config().map_err(|e| e.to_string())
    }

    #[test]
    fn the_default_otp_policy_is_what_google_authenticator_supports() {
        let config = parse(&[]).unwrap();
        assert!(config.settings.otp_policy.is_widely_supported());
        assert!(config.settings.registration_open);
    }

    #[test]
    fn every_otp_setting_is_read() {
        let p = parse(&["--otp-type", "HOTP", "--otp-algorithm", "sha-256", "--otp-digits", "8"]).unwrap();
        let p = p.settings.otp_policy;
        assert_eq!((p.kind, p.algorithm, p.digits, p.window), (OtpKind::Hotp, Algorithm::SHA256, 8, 10));
        let p = parse(&["--otp-algorithm", "SHA512", "--otp-period", "60", "--otp-skew", "0"]).unwrap();
        let p = p.settings.otp_policy;
        assert_eq!((p.kind, p.algorithm, p.period, p.window), (OtpKind::Totp, Algorithm::SHA512, 60, 0));
    }

    #[test]
    fn unsupported_settings_are_refused_with_a_reason() {
        for bad in [
            ["--otp-type", "sms"],
            ["--otp-algorithm", "MD5"],
            ["--otp-digits", "7"],
            ["--otp-period", "45"],
            ["--otp-skew", "3"],
            ["--registration", "maybe"],
            ["--session-max-age", "soon"],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn mail_needs_both_the_smtp_server_and_the_sender() {
        assert!(parse(&["--smtp-url", "smtp://127.0.0.1:2525"]).is_err(), "no MAIL_FROM");
        assert!(parse(&["--mail-from", "auth@example.com"]).is_err(), "no SMTP_URL");
        assert!(parse(&["--smtp-url", "smtp://u:p@mail.example.com?tls=none", "--mail-from", "a@example.com"]).is_err());
        let on = parse(&["--smtp-url", "smtp://127.0.0.1:2525", "--mail-from", "Sign-in <auth@example.com>"]).unwrap();
        assert_eq!(on.settings.mail.map(|m| m.domain).as_deref(), Some("example.com"));
        assert!(on.smtp.is_some());
        assert!(parse(&[]).unwrap().settings.mail.is_none());
    }

    #[test]
    fn a_gate_in_front_of_other_apps_closes_registration_unless_told() {
        let closed = parse(&["--cookie-domain", "example.com"]).unwrap();
        assert!(!closed.settings.registration_open);
        assert!(closed.warnings.is_empty());
        let open = parse(&["--cookie-domain", "example.com", "--registration", "open"]).unwrap();
        assert!(open.settings.registration_open);
        assert_eq!(open.warnings.len(), 1, "opened while any account passes the default rule: a warning");
    }
}
