//! What stops the server (or an operator command) from starting. Each variant keeps its cause
//! as a typed `#[source]`; `main` prints the whole chain in one line.

use std::{io, net::SocketAddr};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting the operator must fix; the message says which and how.
    #[error("{0}")]
    Config(String),
    #[error("{context}")]
    Database {
        context: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply the database migrations")]
    Migrations(#[source] sqlx::migrate::MigrateError),
    #[error("{context}")]
    File {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot listen on {0}: the address is already in use (is another server running? set LEPTOS_SITE_ADDR)")]
    AddressInUse(SocketAddr),
    #[error("cannot listen on {address}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: io::Error,
    },
}

impl StartupError {
    pub fn database(context: impl Into<String>, source: sqlx::Error) -> Self {
        Self::Database { context: context.into(), source }
    }

    pub fn file(context: impl Into<String>, source: io::Error) -> Self {
        Self::File { context: context.into(), source }
    }
}

/// An error and its causes in one line: `cannot open the SQLite database x: unable to open`.
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        line.push_str(": ");
        line.push_str(&next.to_string());
        cause = next.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_kept_and_printed_after_the_context() {
        let error = StartupError::file("cannot create the TOTP key file /x", io::Error::other("read-only"));
        assert!(std::error::Error::source(&error).is_some());
        assert_eq!(one_line(&error), "cannot create the TOTP key file /x: read-only");
    }
}
