//! Configuration from the environment, checked before anything starts.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `DATABASE_URL` | `sqlite://data/app.db` | the database; the folder is created |
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address and port to listen on |
//! | `LEPTOS_SITE_ROOT` | `target/site` | the folder cargo-leptos built (`pkg/` inside) |
//! | `LEPTOS_SITE_PKG_DIR` | `pkg` | where the JS, WASM and CSS are, under the site root |
//! | `LEPTOS_OUTPUT_NAME` | `totp-signin` | the file names of the JS, WASM and CSS |
//! | `LEPTOS_HASH_FILES` | `true` when `hash.txt` is beside the binary | hashed JS/WASM/CSS names (cargo-leptos `hash-files`) |
//! | `LEPTOS_ENV` | `DEV` | `PROD` in production |
//! | `TOTP_ENCRYPTION_KEY` | — | base64 of 32 bytes: the key for TOTP secrets at rest |
//! | `TOTP_KEY_FILE` | `totp.key` beside the database | a file holding that key; the default is created (0600) on first run |
//! | `TOTP_ISSUER` | `TwoFactorSignin` | the name authenticator apps show |
//! | `OTP_TYPE`, `OTP_ALGORITHM`, `OTP_DIGITS`, `OTP_PERIOD`, `OTP_SKEW`, `HOTP_WINDOW` | totp, SHA1, 6, 30, 1, 10 | the policy for new enrollments |
//! | `SECURE_COOKIES` | `false` | `true` when the site is served over https (cookies `Secure`, `__Host-` names) |
//! | `SESSION_MAX_AGE` | `12h` | the absolute lifetime of a session (`45s`, `30m`, `12h`, `7d` or seconds) |
//! | `SESSION_IDLE_TIMEOUT` | `30m` | a session unused this long ends |
//! | `REGISTRATION` | `open` (`closed` when `ACCESS_RULES_FILE` or `COOKIE_DOMAIN` is set) | who may create accounts |
//! | `REGISTRATION_LIMIT` | `20` | accounts one client address may create per hour |
//! | `RUST_LOG` | `info` for the app | log filter |

use crate::{encryption_key::KeySource, session_store::Lifetimes, startup::StartupError};
use app::server::state::Settings;
use leptos::config::{Env, LeptosOptions};
use std::{env, net::SocketAddr};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub leptos: LeptosOptions,
    pub settings: Settings,
    /// Where the TOTP encryption key comes from; `None`: the default file beside the database.
    pub totp_key: Option<KeySource>,
    /// The idle timeout and absolute lifetime of sessions.
    pub sessions: Lifetimes,
}

/// A duration as operators write it: `45s`, `30m`, `12h`, `7d`, or a number of seconds.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 60 * 60,
        'd' => 24 * 60 * 60,
        _ => return None,
    };
    let seconds = number.trim().parse::<u64>().ok()?.checked_mul(scale)?;
    (seconds > 0).then(|| std::time::Duration::from_secs(seconds))
}

fn duration_var(name: &str, default: std::time::Duration) -> Result<std::time::Duration, StartupError> {
    match var(name) {
        None => Ok(default),
        Some(text) => parse_duration(&text).ok_or_else(|| {
            StartupError::Config(format!("{name}={text:?} is not a duration such as 45s, 30m, 12h or 7d"))
        }),
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The build wrote `hash.txt` (the content hashes of the JS, WASM and CSS names) beside the
/// binary, where Leptos reads it: then the pages link the hashed names.
fn hash_files() -> Result<bool, StartupError> {
    match var("LEPTOS_HASH_FILES").as_deref() {
        Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(other) => Err(StartupError::Config(format!("LEPTOS_HASH_FILES={other:?} must be true or false"))),
        None => {
            Ok(env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("hash.txt").is_file())).unwrap_or(false))
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, StartupError> {
        let site_addr_text = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let site_addr: SocketAddr = site_addr_text.parse().map_err(|_| {
            StartupError::Config(format!(
                "LEPTOS_SITE_ADDR={site_addr_text:?} is not an address and port such as 127.0.0.1:3000"
            ))
        })?;
        let leptos_env = match var("LEPTOS_ENV").as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("DEV") | Some("DEVELOPMENT") => Env::DEV,
            Some("PROD") | Some("PRODUCTION") => Env::PROD,
            Some(other) => return Err(StartupError::Config(format!("LEPTOS_ENV={other:?} must be DEV or PROD"))),
        };
        let secure_cookies = match var("SECURE_COOKIES").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => return Err(StartupError::Config(format!("SECURE_COOKIES={other:?} must be true or false"))),
        };
        let leptos = LeptosOptions::builder()
            .output_name(var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "totp-signin".into()))
            .site_root(var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()))
            .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()))
            .site_addr(site_addr)
            .env(leptos_env)
            .hash_files(hash_files()?)
            .build();
        let mut settings = Settings { secure_cookies, ..Settings::default() };
        if let Some(issuer) = var("TOTP_ISSUER") {
            settings.issuer = issuer;
        }
        settings.otp_policy = app::server::otp_policy::policy_from(var).map_err(StartupError::Config)?;
        settings.registration_open = match var("REGISTRATION").as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("open") => true,
            Some("closed") => false,
            // A gate in front of other apps is for the operator's people, not for anyone.
            None => var("ACCESS_RULES_FILE").is_none() && var("COOKIE_DOMAIN").is_none(),
            Some(other) => return Err(StartupError::Config(format!("REGISTRATION={other:?} must be open or closed"))),
        };
        if let Some(limit) = var("REGISTRATION_LIMIT") {
            settings.registrations_per_address_per_hour = limit.trim().parse::<u32>().map_err(|_| {
                StartupError::Config(format!(
                    "REGISTRATION_LIMIT={limit:?} must be a whole number of accounts per hour"
                ))
            })?;
        }
        let defaults = Lifetimes::default();
        let sessions = Lifetimes {
            idle: duration_var("SESSION_IDLE_TIMEOUT", defaults.idle)?,
            max_age: duration_var("SESSION_MAX_AGE", defaults.max_age)?,
        };
        let totp_key = match (var("TOTP_ENCRYPTION_KEY"), var("TOTP_KEY_FILE")) {
            (Some(_), Some(_)) => {
                return Err(StartupError::Config("set TOTP_ENCRYPTION_KEY or TOTP_KEY_FILE, not both".into()))
            }
            (Some(value), None) => Some(KeySource::Value(value)),
            (None, Some(path)) => Some(KeySource::File { path: path.into(), create: false }),
            (None, None) => None,
        };
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            leptos,
            settings,
            totp_key,
            sessions,
        })
    }

    /// A configuration for tests: port 0 (any free port) and the given database.
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("12h"), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        for bad in ["", "0", "h", "12x", "-5", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
