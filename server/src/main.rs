//! The server binary: `server` (or `server serve`) serves until SIGTERM or Ctrl-C; the other
//! subcommands are for operators (`server --help`). Operator mistakes end it with one clear line
//! on stderr and a non-zero exit code, not a panic.

use clap::Parser;
use server::{
    infra::{memory, telemetry},
    operator::{
        self,
        cli::{Cli, Command},
        OperatorError, Outcome,
    },
    startup::error::one_line,
    Application,
};
use std::process::ExitCode;

/// mimalloc is the global allocator: a request allocates and frees dozens of small blocks (the
/// headers, the session's record, the answer), and the forward-auth budget holds only with a
/// fast allocator (`docs/performance.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    memory::return_freed_memory_at_once();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.config.into_config().map_err(OperatorError::from) {
        Err(e) => Err(e),
        Ok(config) => match cli.command {
            None | Some(Command::Serve) => {
                telemetry::init(config.log_format);
                serve(config).await.map(|()| None)
            }
            Some(Command::Otp(command)) => operator::otp(command, &config.clock).map(Some),
            Some(Command::Migrate) => operator::migrate(&config).await.map(Some),
            Some(Command::Backup { file }) => operator::backup(&config, &file).await.map(Some),
            Some(Command::Restore { file }) => operator::restore(&config, &file).await.map(Some),
            Some(Command::Authz(command)) => operator::authz(&config, command).await.map(Some),
            Some(Command::Oidc(command)) => operator::oidc(&config, command).await.map(Some),
            Some(Command::Invite(command)) => operator::invite(&config, command).await.map(Some),
            Some(Command::Mail(command)) => operator::mail(&config, command).await.map(Some),
            Some(Command::Healthcheck { url }) => operator::healthcheck(&config, url.as_deref()).map(Some),
            Some(Command::User(command)) => operator::user(&config, command, read_password_line).await.map(Some),
        },
    };
    match result {
        // Served until stopped.
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(outcome)) => report(&outcome),
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn report(outcome: &Outcome) -> ExitCode {
    for line in outcome.lines() {
        println!("{line}");
    }
    if outcome.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn serve(config: server::startup::config::Config) -> Result<(), OperatorError> {
    let app = Application::build(config).await?;
    Ok(app.run_until_stopped().await?)
}

/// How `user add` takes a password: never on the command line, where other users of the machine
/// could see it. On a terminal it is asked for without echo; otherwise (a pipe, a script) it is
/// the first line of standard input.
fn read_password_line() -> String {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password (not shown): ").unwrap_or_default();
    }
    operator::first_line_of_stdin()
}
