//! The command line: `server` serves (the default); the other subcommands let operators manage
//! the database and accounts without a browser or SQL, and check one-time passwords.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "The two-factor sign-in server, and its operator commands.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: crate::startup::config::ConfigArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (what `server` with no subcommand does).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Copy a SQLite database to FILE, consistent, while the server runs (PostgreSQL: pg_dump).
    Backup {
        /// The copy to make; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Put a backup in place of the SQLite database; refused while a server runs on it.
    Restore {
        /// A file `server backup` made.
        file: std::path::PathBuf,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// One-time-password helpers in the spirit of PyOTP (no database needed).
    #[command(subcommand)]
    Otp(OtpCommand),
    /// The forward-auth gate's access rules (ACCESS_RULES_FILE), for debugging them.
    #[command(subcommand)]
    Authz(AuthzCommand),
    /// The OpenID Connect provider: the apps that sign people in here, and the signing key.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// One-time registration links (they work while REGISTRATION=closed).
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Mail (SMTP_URL, MAIL_FROM).
    #[command(subcommand)]
    Mail(MailCommand),
    /// GET --url (default: /healthz on this server's port) and exit 0 on a 200: a container's
    /// HEALTHCHECK, with no shell or curl needed.
    Healthcheck {
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OidcCommand {
    /// Register, list, change or delete the apps (clients).
    #[command(subcommand)]
    Client(OidcClientCommand),
    /// Add a new ID-token signing key: it signs from now on; the JWKS publishes both.
    #[command(name = "rotate-key")]
    RotateKey,
}

#[derive(Debug, Subcommand)]
pub enum OidcClientCommand {
    /// Register an app. Prints its client secret once (none for --public clients).
    Add {
        client_id: String,
        /// Where the app receives the code (compared exactly); repeat for several. Required for
        /// an app people sign in to; none for a client with `--grant client_credentials` alone.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// What the client may ask the token endpoint for: `authorization_code` (people sign in
        /// to it; refresh tokens with `offline_access`), `client_credentials` (a machine client:
        /// tokens for itself, with the --scope given). Repeat for both; default:
        /// authorization_code.
        #[arg(long = "grant", value_name = "GRANT")]
        grants: Vec<String>,
        /// A scope the client_credentials grant may give (the scopes of your own APIs); repeat
        /// for several.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// A browser or mobile app with no secret: it must use PKCE.
        #[arg(long)]
        public: bool,
        /// `one_factor` (a password is enough) or `two_factor`.
        #[arg(long, default_value = "two_factor")]
        policy: String,
        /// The app's name, shown to people.
        #[arg(long)]
        name: Option<String>,
        /// Where the app may send people after signing out; repeat for several.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// Accept plain http:// URIs on hosts other than a loopback address (127.0.0.1, [::1],
        /// localhost): the code then travels unencrypted.
        #[arg(long)]
        allow_insecure_http: bool,
        /// Open the app only to members of these groups (comma-separated); by default, to
        /// everyone.
        #[arg(long, value_name = "G1,G2")]
        groups: Option<String>,
    },
    /// List the apps (never their secrets).
    List,
    /// Delete an app and every token it holds.
    Delete { client_id: String },
    /// Open the app only to members of these groups (comma-separated; an empty list opens it to
    /// everyone), from the next sign-in to it and the next refresh on.
    Groups {
        client_id: String,
        #[arg(value_name = "G1,G2")]
        groups: String,
    },
    /// Give a confidential app a new secret, printed once; the old one stops working at once
    /// (tokens already issued stay).
    #[command(name = "rotate-secret")]
    RotateSecret { client_id: String },
    /// Set the app's policy: `one_factor` (a password is enough) or `two_factor`.
    Policy { client_id: String, policy: String },
}

#[derive(Debug, Subcommand)]
pub enum AuthzCommand {
    /// Which rule matches a request to URL, and what it decides (for a visitor signed in as
    /// --user, or not signed in; from --from, or from an unknown address).
    Check {
        url: String,
        /// The signed-in account asking (its groups count for `group:` subjects).
        #[arg(long)]
        user: Option<String>,
        #[arg(long, default_value = "GET")]
        method: String,
        /// The client's address (192.168.1.5, fd00::5), for rules with `networks` and the
        /// defaults of named networks. Without it the address is unknown: no network matches.
        #[arg(long, value_name = "ADDRESS")]
        from: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is asked for without echo on a terminal, or read from the
    /// first line of standard input (`echo "$PASSWORD" | server user add NAME`).
    Add { name: String },
    /// List the accounts, one per line (or JSON).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete an account and everything it owns.
    Delete { name: String },
    /// Turn two-factor authentication off and void the recovery codes (logged in the account's
    /// security log); the person then signs in with the password and may set it up again.
    #[command(name = "reset-2fa")]
    Reset2fa { name: String },
    /// Put the account in groups (comma-separated; an empty list clears them): the access rules'
    /// `group:` subjects, and `Remote-Groups` for the apps behind the gate.
    Groups { name: String, groups: String },
    /// Set the account's display name and email (`Remote-Name`, `Remote-Email`); an empty value
    /// clears one.
    Set {
        name: String,
        /// The display name.
        #[arg(long = "name")]
        display_name: Option<String>,
        /// The email address, which the operator vouches for: it counts as verified, and apps
        /// are given it. An address belongs to one account only (compared without regard to case).
        #[arg(long)]
        email: Option<String>,
        /// The groups (comma-separated; empty clears them). `--groups admins` (ADMIN_GROUP)
        /// makes the first administrator of the console at /admin.
        #[arg(long)]
        groups: Option<String>,
    },
    /// Disable an account: no sign-in, every session and app token ends at once.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
    /// Clear the account's sign-in throttling and lift a lock on codes (logged).
    Unlock { name: String },
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Make a one-time registration link and print it (shown this once; only its hash is kept).
    Create {
        /// Groups the new account gets (comma-separated).
        #[arg(long, default_value = "")]
        groups: String,
        /// How many days the link stays valid.
        #[arg(long, default_value_t = domain::console::invitations::DEFAULT_DAYS)]
        days: u32,
        /// The new account must turn on two-factor authentication before anything else.
        #[arg(long = "require-2fa")]
        require_2fa: bool,
        /// Mail the link to this address instead of printing it (queued in the outbox: the
        /// running server sends it). Needs SMTP_URL and MAIL_FROM.
        #[arg(long)]
        email: Option<String>,
    },
    /// List the invitations, newest first.
    List,
    /// Revoke an open invitation by its id (from `list`).
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message to ADDRESS at once (not through the outbox) and print the SMTP
    /// server's answer, or why it failed.
    Test { address: String },
    /// How many messages wait in the outbox, and the last failure of each that failed.
    Status,
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
