//! The load generator: `connections` simulated clients, each on its own keep-alive HTTP/1.1
//! connection (hyper), repeating one unit of work until the time is up. Records every unit's
//! latency and outcome.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{client::conn::http1::SendRequest, HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::{
    collections::BTreeMap,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

/// Longer than any answer the server may legitimately take (it answers 503 after waiting 10 s
/// for a hashing slot, and its own timeout is 30 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(35);

/// One client's connection; reconnects after a failure.
pub struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The `name=value` part of the `Set-Cookie` for `name`, if the reply sets it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(hyper::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// The request could not be built (a path that is not a URI): a bug of the benchmark.
    Malformed,
    Connect,
    Reset,
    Timeout,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    async fn open(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Failure> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(self.addr).await.map_err(|_| Failure::Connect)?;
            stream.set_nodelay(true).map_err(|_| Failure::Connect)?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| Failure::Connect)?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().ok_or(Failure::Connect)?;
        sender.ready().await.map_err(|_| Failure::Reset)?;
        Ok(sender)
    }

    /// Sends one request and reads the whole body.
    pub async fn send(&mut self, request: Result<Request<Full<Bytes>>, Failure>) -> Result<Reply, Failure> {
        let request = request?;
        let exchange = async {
            let response = self.open().await?.send_request(request).await.map_err(|_| Failure::Reset)?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|_| Failure::Reset)?.to_bytes();
            Ok(Reply { status: parts.status, headers: parts.headers, body })
        };
        let result = tokio::time::timeout(REQUEST_TIMEOUT, exchange).await.unwrap_or(Err(Failure::Timeout));
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

/// A request to the server under test, built the way its clients send them.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub form: Option<String>,
    pub cookie: Option<&'a str>,
    pub accept_encoding: Option<&'a str>,
    pub headers: Vec<(&'static str, &'a str)>,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str) -> Self {
        Self { method: Method::GET, path, form: None, cookie: None, accept_encoding: None, headers: Vec::new() }
    }
    /// A server-function call as a script makes it: a form body, JSON asked for.
    pub fn api(path: &'a str, form: impl Into<String>) -> Self {
        Self {
            method: Method::POST,
            path,
            form: Some(form.into()),
            cookie: None,
            accept_encoding: None,
            headers: Vec::new(),
        }
    }
    pub fn cookie(mut self, cookie: &'a str) -> Self {
        self.cookie = Some(cookie);
        self
    }
    pub fn accept_encoding(mut self, encodings: &'a str) -> Self {
        self.accept_encoding = Some(encodings);
        self
    }
    pub fn header(mut self, name: &'static str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn build(self, host: &str) -> Result<Request<Full<Bytes>>, Failure> {
        let mut request = Request::builder().method(self.method).uri(self.path).header("host", host);
        if let Some(cookie) = self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(encodings) = self.accept_encoding {
            request = request.header("accept-encoding", encodings);
        }
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        let body = match self.form {
            Some(form) => {
                request = request
                    .header("accept", "application/json")
                    .header("content-type", "application/x-www-form-urlencoded");
                Bytes::from(form)
            }
            None => Bytes::new(),
        };
        request.body(Full::new(body)).map_err(|_| Failure::Malformed)
    }
}

/// What one unit of work ended with.
pub enum Outcome {
    /// Answered with an acceptable status (the last one, for multi-request units).
    Answered(u16),
    /// Answered, but not as the scenario requires.
    Wrong(u16),
    /// Not answered.
    Failed(Failure),
    /// Nothing left to do for this client (e.g. no unused users left): not counted.
    Exhausted,
}

pub type Work = Arc<dyn Fn(usize, Conn) -> Pin<Box<dyn Future<Output = (Conn, Outcome)> + Send>> + Send + Sync>;

#[derive(Default)]
pub struct Stats {
    /// Units that ended before the time was up (what the rate counts).
    pub in_window: u64,
    /// Every unit, including those in flight when the time was up (all are checked).
    pub completed: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub wrong: BTreeMap<u16, u64>,
    pub failures: BTreeMap<Failure, u64>,
    latencies_us: Vec<u32>,
    pub window: Duration,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.in_window as f64 / self.window.as_secs_f64().max(1e-9)
    }
    pub fn errors(&self) -> u64 {
        self.wrong.values().sum::<u64>() + self.failures.values().sum::<u64>()
    }
    /// The `q` quantile of the latencies, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[index] as f64 / 1000.0
    }
    /// Adds another measurement of the same scenario (one more slice of time).
    pub fn add_slice(&mut self, other: Stats) {
        self.window += other.window;
        self.merge(other);
        self.latencies_us.sort_unstable();
    }

    fn merge(&mut self, other: Stats) {
        self.in_window += other.in_window;
        self.completed += other.completed;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.wrong {
            *self.wrong.entry(k).or_default() += v;
        }
        for (k, v) in other.failures {
            *self.failures.entry(k).or_default() += v;
        }
        self.latencies_us.extend(other.latencies_us);
    }
}

/// Runs `work` on `connections` connections for `duration`, then waits for the units in flight
/// (whose answers are checked too, but not counted in the rate).
pub async fn drive(addr: SocketAddr, connections: usize, duration: Duration, work: Work) -> Stats {
    let start = Instant::now();
    let deadline = start + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut stats = Stats::default();
                let mut conn = Conn::new(addr);
                // When this client ran out of work (`Exhausted`) before the time was up.
                let mut ran_out = None;
                while Instant::now() < deadline {
                    let began = Instant::now();
                    let (returned, outcome) = work(worker, conn).await;
                    conn = returned;
                    let took = began.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    match outcome {
                        Outcome::Answered(status) => {
                            *stats.statuses.entry(status).or_default() += 1;
                        }
                        Outcome::Wrong(status) => *stats.wrong.entry(status).or_default() += 1,
                        Outcome::Failed(failure) => *stats.failures.entry(failure).or_default() += 1,
                        Outcome::Exhausted => {
                            ran_out = Some(began);
                            break;
                        }
                    }
                    stats.completed += 1;
                    if Instant::now() <= deadline {
                        stats.in_window += 1;
                    }
                    stats.latencies_us.push(took);
                }
                (stats, ran_out)
            })
        })
        .collect();
    let mut total = Stats::default();
    let mut all_ran_out = true;
    let mut last_out = start;
    for worker in workers {
        if let Ok((stats, ran_out)) = worker.await {
            total.merge(stats);
            match ran_out {
                Some(at) => last_out = last_out.max(at),
                None => all_ran_out = false,
            }
        }
    }
    // Every client ran out of work early: the rate is over the time there was work.
    total.window = if all_ran_out && connections > 0 { (last_out - start).min(duration) } else { duration };
    total.latencies_us.sort_unstable();
    total
}

/// Boxes an async block as a unit of work.
pub fn work<F, Fut>(f: F) -> Work
where
    F: Fn(usize, Conn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Conn, Outcome)> + Send + 'static,
{
    Arc::new(move |worker, conn| Box::pin(f(worker, conn)))
}
