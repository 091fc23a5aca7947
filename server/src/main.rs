//! The server binary: configuration from the environment, then serve until SIGTERM or Ctrl-C.
//! Operator mistakes (a bad `DATABASE_URL`, a port in use, ...) end it with one clear line on
//! stderr and a non-zero exit code, not a panic.

use server::{config::Config, telemetry, Application};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let result = async {
        let config = Config::from_env()?;
        let app = Application::build(config).await?;
        app.run_until_stopped().await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
