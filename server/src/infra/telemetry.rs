//! Logs through `tracing`, filtered by `RUST_LOG` (default: info for this service, warn for the
//! libraries), as text for a person or, with `LOG_FORMAT=json`, one JSON object per line with
//! the request's id (`http::middleware::request_id`). Security events (sign-ins, failures,
//! locks, 2FA and key changes, operator actions) are logged by the security log
//! (`domain::storage::security_log`) with the account and the client's address; no password,
//! key, code, session id or token is ever a field of a log line.

use crate::startup::config::LogFormat;
use tracing_subscriber::{
    fmt::{self, MakeWriter},
    EnvFilter,
};

/// The filter when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "warn,server=info,app=info,domain=info,security=info,tower_http=warn";

/// Logs to standard output, filtered by `RUST_LOG` (or `DEFAULT_FILTER`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    init_to(format, filter, std::io::stdout);
}

/// Logs to `writer` (a test reads them back), through `filter`. Does nothing when this process
/// already logs somewhere.
pub fn init_to<W>(format: LogFormat, filter: EnvFilter, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let _ = match format {
        LogFormat::Text => fmt::fmt().with_env_filter(filter).with_target(false).with_writer(writer).try_init(),
        LogFormat::Json => fmt::fmt()
            .json()
            .with_env_filter(filter)
            // The spans a line was written in, outermost first: every request's lines name its
            // `request` span and id (`spans[0].request_id`), whichever span they were written in.
            .with_current_span(false)
            .with_span_list(true)
            .flatten_event(true)
            .with_writer(writer)
            .try_init(),
    };
}
