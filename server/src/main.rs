//! The server binary: `server` (or `server serve`) serves until SIGTERM or Ctrl-C; the other
//! subcommands are for operators (`server --help`). Operator mistakes end it with one clear line
//! on stderr and a non-zero exit code, not a panic.

use clap::Parser;
use server::{
    cli::{Cli, Command},
    config::Config,
    memory, operator, telemetry, Application,
};
use std::process::ExitCode;

fn main() -> ExitCode {
    memory::return_large_blocks_to_the_system();
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
    let result = match cli.command {
        None | Some(Command::Serve) => {
            telemetry::init();
            serve().await.map(|()| (Vec::new(), true))
        }
        Some(Command::Otp(command)) => operator::otp(command).map_err(|e| e.to_string()),
        Some(Command::Migrate) => with_config(|config| async move { operator::migrate(&config).await }).await,
        Some(Command::User(command)) => {
            with_config(|config| async move { operator::user(&config, command, read_password_line).await }).await
        }
    };
    match result {
        Ok((lines, success)) => {
            for line in lines {
                println!("{line}");
            }
            if success {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let app = Application::build(config).await.map_err(|e| e.to_string())?;
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn with_config<F, Fut>(run: F) -> Result<(Vec<String>, bool), String>
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<String>, operator::OperatorError>>,
{
    let config = Config::from_env().map_err(|e| e.to_string())?;
    run(config).await.map(|lines| (lines, true)).map_err(|e| e.to_string())
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
