//! Every request's id: the one a proxy sent in `X-Request-Id` when it is a plain token, else one
//! made here (a random prefix per process and a counter: unique across instances, and cheap).
//! It is sent back as `X-Request-Id`; with `LOG_FORMAT=json` every log line the request writes
//! carries it (`request_id`), so an operator can find one request's lines.

use crate::infra::metrics::RequestDurations;
use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct RequestIds {
    prefix: Arc<str>,
    counter: Arc<AtomicU64>,
    /// Whether the id goes into the log lines (a tracing span per request): only when the logs
    /// are JSON, where a machine reads them.
    pub in_logs: bool,
    /// Where each request's duration is recorded (`METRICS_ADDR` set).
    pub durations: Option<&'static RequestDurations>,
}

impl RequestIds {
    pub fn new(in_logs: bool, durations: Option<&'static RequestDurations>) -> Self {
        let prefix = domain::credentials::secret_box::random_hex(4);
        Self { prefix: prefix.into(), counter: Arc::default(), in_logs, durations }
    }

    /// The request's id: the proxy's, when it is 1 to 64 letters, digits, `.`, `_` or `-`.
    pub fn of(&self, request: &Request) -> HeaderValue {
        let sent = request.headers().get(&HEADER).filter(|value| {
            let bytes = value.as_bytes();
            (1..=64).contains(&bytes.len())
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
        match sent {
            Some(value) => value.clone(),
            None => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                HeaderValue::from_str(&format!("{}-{n:x}", self.prefix)).unwrap_or(HeaderValue::from_static("-"))
            }
        }
    }
}
