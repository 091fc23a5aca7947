//! The command line: `server` serves (the default); the other subcommands let operators manage
//! the database and accounts without a browser or SQL, and check one-time passwords.

use clap::{Args, Parser, Subcommand};

const ENVIRONMENT: &str = "Environment:
  DATABASE_URL          sqlite://path (default sqlite://data/app.db) or postgres://user:pw@host/db
  LEPTOS_SITE_ADDR      address to listen on (default 127.0.0.1:3000)
  LEPTOS_SITE_ROOT      the built site (default target/site)
  TOTP_ENCRYPTION_KEY   base64 of 32 bytes: the key for TOTP secrets at rest
  TOTP_KEY_FILE         a file holding that key (default: totp.key beside the SQLite database)
  TOTP_ISSUER           the name authenticator apps show (default TwoFactorSignin)
  OTP_TYPE              totp or hotp, for new enrollments (default totp)
  OTP_ALGORITHM         SHA1, SHA256 or SHA512 (default SHA1)
  OTP_DIGITS            6 or 8 (default 6)
  OTP_PERIOD            30 or 60 seconds, TOTP (default 30)
  OTP_SKEW              0 or 1 step either side, TOTP (default 1)
  HOTP_WINDOW           counter values looked ahead, HOTP (default 10)
  SECURE_COOKIES        true when served over https (cookies Secure, __Host- names)
  SESSION_IDLE_TIMEOUT  a session unused this long ends (default 30m)
  SESSION_MAX_AGE       the absolute lifetime of a session (default 12h)
  REGISTRATION          open or closed (default open; closed when ACCESS_RULES_FILE or
                        COOKIE_DOMAIN is set): closed, accounts are made with `server user add`
  REGISTRATION_LIMIT    accounts one client address may create per hour (default 20)
  RUST_LOG              log filter";

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "The two-factor sign-in server, and its operator commands.", after_help = ENVIRONMENT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (what `server` with no subcommand does).
    #[command(after_help = ENVIRONMENT)]
    Serve,
    /// Apply pending database migrations, then exit.
    #[command(after_help = ENVIRONMENT)]
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// One-time-password helpers in the spirit of PyOTP (no database needed).
    #[command(subcommand)]
    Otp(OtpCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is asked for without echo on a terminal, or read from the
    /// first line of standard input (`echo "$PASSWORD" | server user add NAME`).
    #[command(after_help = ENVIRONMENT)]
    Add { name: String },
    /// List the accounts, one per line (or JSON).
    #[command(after_help = ENVIRONMENT)]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete an account and everything it owns.
    #[command(after_help = ENVIRONMENT)]
    Delete { name: String },
    /// Turn two-factor authentication off and void the recovery codes (logged in the account's
    /// security log); the person then signs in with the password and may set it up again.
    #[command(name = "reset-2fa", after_help = ENVIRONMENT)]
    Reset2fa { name: String },
    /// Clear the account's sign-in throttling and lift a lock on codes (logged).
    #[command(after_help = ENVIRONMENT)]
    Unlock { name: String },
}

#[derive(Debug, Args)]
pub struct SecretArg {
    /// The shared key, in base32 (spaces, dashes and any case allowed; at least 80 bits); `-`
    /// reads it from the first line of standard input, keeping it out of `ps` and shell history.
    #[arg(long)]
    pub secret: String,
}

#[derive(Debug, Subcommand)]
pub enum OtpCommand {
    /// A new random 160-bit key, in base32 (or hex).
    Secret {
        #[arg(long)]
        hex: bool,
    },
    /// The TOTP code for now (SHA1, 6 digits, 30 s).
    Now {
        #[command(flatten)]
        key: SecretArg,
    },
    /// Check a TOTP code against now ±1 step: prints "valid" (exit 0) or "invalid" (exit 1).
    Verify {
        #[command(flatten)]
        key: SecretArg,
        code: String,
    },
    /// The HOTP code (RFC 4226) for a counter.
    Hotp {
        #[command(flatten)]
        key: SecretArg,
        #[arg(long)]
        counter: u64,
    },
    /// The otpauth:// URI an authenticator app reads from a QR code.
    Uri {
        #[command(flatten)]
        key: SecretArg,
        #[arg(long)]
        account: String,
        #[arg(long, env = "TOTP_ISSUER", default_value = "TwoFactorSignin")]
        issuer: String,
    },
}
