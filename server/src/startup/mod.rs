//! Start-up: database, migrations, sessions, router, listener — then serve until stopped.

pub mod config;
pub mod error;

use crate::{
    http::{health::Stopping, middleware::request_id::RequestIds, router},
    infra::{
        database, encryption_key, mail, metrics, private_files,
        serving_lock::{ServingLock, Taken},
        session_store::Sessions,
    },
    startup::{
        config::{Config, LogFormat},
        error::StartupError,
    },
};
use app::server::state::AppState;
use domain::{
    openid::store::exchange_writer::ExchangeWriter,
    services::Parts,
    storage::{accounts, identities::Identities, outside_changes::OutsideChanges},
    Services,
};
use std::{
    future::{Future, IntoFuture},
    io,
    net::SocketAddr,
};
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    address: SocketAddr,
    /// Deletes expired sessions and OpenID Connect tokens every `SESSION_CLEANUP_EVERY` while the
    /// server runs.
    session_cleanup: tokio::task::JoinHandle<()>,
    /// Delivers the outbox, when mail is configured (`infra::mail::sender`).
    mail_sender: Option<tokio::task::JoinHandle<()>>,
    /// With SQLite: this process serves the file (`server restore` refuses meanwhile).
    _serving: Option<ServingLock>,
    /// Set when the server is asked to stop: `/readyz` answers 503 from then on.
    stopping: Stopping,
}

/// How long the requests under way may take to finish once the server is asked to stop.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(9);

/// Sessions kept in memory (SQLite): a few hundred bytes each.
const SESSIONS_IN_MEMORY: u64 = 10_000;
/// How often expired sessions (and tokens) are deleted.
const SESSION_CLEANUP_EVERY: tokio::time::Duration = tokio::time::Duration::from_secs(300);

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        let site_root = std::path::PathBuf::from(config.leptos.site_root.as_ref());
        if let Some(path) = database::sqlite_path(&config.database_url) {
            private_files::refuse_inside_site_root(&path, &site_root, "the database")?;
        }
        let database = database::connect(&config.database_url).await?;
        let serving = match &database.backend {
            database::Backend::Sqlite { path } => serving_lock(path),
            database::Backend::Postgres => None,
        };
        database::migrate(&database).await?;
        if let Some(address) = config.metrics_addr {
            metrics::serve(address, [("app", database.pool.clone()), ("sessions", database.sessions.clone())]).await?;
        }
        let key_source = encryption_key::source_for(config.totp_key.clone(), &database.backend);
        if let encryption_key::KeySource::File { path, .. } = &key_source {
            private_files::refuse_inside_site_root(path, &site_root, "the TOTP key file")?;
        }
        let encryption_key::Keys { secret_box, recovery_codes } =
            encryption_key::load(&key_source, &database.pool).await?;
        // Recovery codes stored before they were keyed take the keyed form (they keep working).
        let keyed = accounts::key_unkeyed_recovery_codes(&database.pool, &recovery_codes)
            .await
            .map_err(|e| StartupError::database("cannot bring the stored recovery codes to their keyed form", e))?;
        if keyed > 0 {
            tracing::info!(codes = keyed, "stored recovery codes are now kept as a keyed hash");
        }
        let code_sealing = domain::openid::codes::sealing_box(&database.pool, &secret_box)
            .await
            .map_err(|e| StartupError::Config(format!("cannot read the key for OpenID Connect codes: {e}")))?;

        let wanted = config.leptos.site_addr;
        let listener = TcpListener::bind(wanted).await.map_err(|e| match e.kind() {
            io::ErrorKind::AddrInUse => StartupError::AddressInUse(wanted),
            _ => StartupError::Listen { address: wanted, source: e },
        })?;
        let address = listener.local_addr().map_err(|e| StartupError::Listen { address: wanted, source: e })?;

        let services = Services::new(Parts {
            db: database.pool.clone(),
            settings: config.settings.clone(),
            secret_box,
            recovery_codes,
            code_sealing,
            clock: config.clock.clone(),
            identities: match &database.backend {
                // One process owns a SQLite file: it may keep what it reads in memory, and
                // catches up with the operator's commands run beside it.
                database::Backend::Sqlite { path } => {
                    let outside = OutsideChanges::watch(path).map_err(|e| {
                        StartupError::Config(format!(
                            "cannot open the file beside the database {}: {e}",
                            path.display()
                        ))
                    })?;
                    Identities::cached(std::sync::Arc::new(outside))
                }
                database::Backend::Postgres => Identities::uncached(),
            },
            exchange_writer: match database.backend {
                // SQLite writes one at a time: exchanges arriving together are written together.
                database::Backend::Sqlite { .. } => Some(ExchangeWriter::start(database.pool.clone())),
                database::Backend::Postgres => None,
            },
        })
        .map_err(|e| StartupError::Config(e.to_string()))?;
        // The OpenID Connect signing key, made on the first start (shared by every instance).
        domain::openid::store::keys::ensure_one(&services.db, &services.secret_box, services.now())
            .await
            .map_err(|e| StartupError::Config(format!("cannot make the OpenID Connect signing key: {e}")))?;
        // Sessions are read on every signed-in request: with SQLite (this process alone writes
        // them) they are also kept in memory, written through to the database.
        let sessions = match database.backend {
            database::Backend::Sqlite { .. } => {
                Sessions::with_memory(database.sessions, config.sessions, config.clock.clone(), SESSIONS_IN_MEMORY)
            }
            database::Backend::Postgres => Sessions::new(database.sessions, config.sessions, config.clock.clone()),
        };
        // The server functions reach the same store (and its memory copy) to end one session of
        // an account from another.
        let state = AppState::new(config.leptos.clone(), services, std::sync::Arc::new(sessions.clone()));
        let expired_tokens = delete_expired_tokens(database.pool.clone(), config.clock.clone());
        let sessions_swept = sessions.clone();
        let session_cleanup = tokio::spawn(async move {
            tokio::join!(sessions_swept.keep_deleting_expired(SESSION_CLEANUP_EVERY), expired_tokens);
        });
        // Made now rather than on the first sign-in of an unknown user.
        let passwords = state.passwords.clone();
        tokio::task::spawn_blocking(move || passwords.warm_up());
        let stopping = Stopping::default();
        let durations = config.metrics_addr.map(|_| metrics::RequestDurations::register());
        let request_ids = RequestIds::new(config.log_format == LogFormat::Json, durations);
        let mail_sender = match (&config.smtp, &config.settings.mail) {
            (Some(target), Some(identity)) => {
                let mailer = mail::mailer::Mailer::new(target, identity).map_err(StartupError::Config)?;
                let sole_sender = matches!(database.backend, database::Backend::Sqlite { .. });
                Some(mail::sender::start(state.clone(), mailer, sole_sender))
            }
            _ => None,
        };
        let router = router::build(state, sessions, config.sessions, stopping.clone(), request_ids);
        warn_if_pages_link_missing_files(&config.leptos);
        Ok(Self { listener, router, address, session_cleanup, mail_sender, _serving: serving, stopping })
    }

    /// The port actually bound (tests ask for port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests under way.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes. Then no connection is accepted, `/readyz` answers 503, and
    /// the requests under way finish; whatever still runs after `STOP_GRACE` is dropped, so the
    /// process ends within 10 s of being asked (every write is a committed transaction, or none).
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> Result<(), StartupError> {
        let address = self.address;
        tracing::info!("listening on http://{address}");
        let (asked, told) = tokio::sync::oneshot::channel::<()>();
        let stopping = self.stopping.clone();
        let stop = async move {
            stop.await;
            stopping.now();
            let _ = asked.send(());
        };
        let serving = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stop);
        let served = tokio::select! {
            served = serving.into_future() => served,
            () = async {
                if told.await.is_ok() {
                    tokio::time::sleep(STOP_GRACE).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!(grace = ?STOP_GRACE, "requests still running after the grace period are dropped");
                Ok(())
            }
        };
        self.session_cleanup.abort();
        if let Some(sender) = &self.mail_sender {
            // Whatever it had not delivered waits in the outbox for the next start.
            sender.abort();
        }
        tracing::info!("stopped");
        served.map_err(|e| StartupError::Listen { address, source: e })
    }
}

/// The lock on the SQLite file this process serves. Should another process hold it (a server
/// already running on the file, a restore under way), this one still starts, and says so.
fn serving_lock(path: &std::path::Path) -> Option<ServingLock> {
    match ServingLock::take(path) {
        Ok(Taken::Held(lock)) => Some(lock),
        Ok(Taken::ByAnother) => {
            tracing::warn!(
                database = %path.display(),
                "another process holds this database's lock: a second server on one SQLite file, or a restore under way"
            );
            None
        }
        Err(e) => {
            tracing::warn!(database = %path.display(), error = %e, "cannot take this database's lock");
            None
        }
    }
}

/// Deletes the OpenID Connect tokens whose time is up, as often as expired sessions.
async fn delete_expired_tokens(db: sqlx::AnyPool, clock: domain::clock::Clock) {
    let mut interval = tokio::time::interval(SESSION_CLEANUP_EVERY);
    loop {
        interval.tick().await;
        if let Err(e) = domain::openid::store::grants::delete_expired(&db, clock.now()).await {
            tracing::warn!(error = %e, "could not delete expired OpenID Connect tokens");
        }
    }
}

/// The pages link `/pkg/<name>.wasm`, or with hashing `/pkg/<name>.<hash>.wasm` from `hash.txt`
/// beside the binary. A binary copied without its `hash.txt` (or a site built without hashing)
/// would serve pages whose script never loads: say so at start-up rather than in a browser.
fn warn_if_pages_link_missing_files(options: &leptos::config::LeptosOptions) {
    let pkg = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let Ok(files) = std::fs::read_dir(&pkg) else { return };
    let names: Vec<String> = files.filter_map(|f| f.ok()?.file_name().into_string().ok()).collect();
    let plain = format!("{}.wasm", options.output_name);
    let has_plain = names.contains(&plain);
    let has_hashed = names
        .iter()
        .any(|n| n.starts_with(&format!("{}.", options.output_name)) && n.ends_with(".wasm") && *n != plain);
    if !options.hash_files && !has_plain && has_hashed {
        tracing::warn!(
            "{} holds content-hashed files but no hash.txt is beside this binary: pages will link files that do not exist; copy hash.txt from the build next to the binary",
            pkg.display()
        );
    } else if options.hash_files && !has_hashed && has_plain {
        tracing::warn!(
            "hash.txt is beside this binary but {} holds no content-hashed files: rebuild the site",
            pkg.display()
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
