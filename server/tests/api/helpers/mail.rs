//! A real SMTP server for the tests: `smtp_sink.py` (Python's aiosmtpd) run as a process on a
//! free port, writing each message it accepts to a folder; and the server under test pointed at
//! it (`spawn_app_with_mail`).

use super::{fresh_database_url, spawn_app_with, test_config, TestApp};
use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/helpers/smtp_sink.py");

/// The SMTP server process and the folder of what it received.
pub struct MailSink {
    child: Option<Child>,
    pub port: u16,
    pub folder: tempfile::TempDir,
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipient.
    pub to: String,
    /// The whole message: headers and body.
    pub raw: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let headers = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let prefix = format!("{}:", name.to_ascii_lowercase());
        headers
            .lines()
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The body (plain text) as a mail client shows it: decoded from the transfer encoding the
    /// sender chose (quoted-printable or base64 for long or non-ASCII lines, whose soft line
    /// breaks would otherwise cut a link in two).
    pub fn body(&self) -> String {
        let body = self.raw.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
        let decoded = match encoding.as_str() {
            "quoted-printable" => quoted_printable(body),
            "base64" => {
                use base64::Engine;
                let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(text).expect("a base64 body");
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => body.to_owned(),
        };
        decoded.replace("\r\n", "\n")
    }

    /// The first link in the body that starts with `prefix` (e.g. `http://…/reset-password/`).
    pub fn link(&self, prefix: &str) -> Option<String> {
        let body = self.body();
        let start = body.find(prefix)?;
        let rest = &body[start..];
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

/// Quoted-printable (RFC 2045 §6.7) decoded: `=` at a line's end joins it to the next, `=XX` is
/// the byte XX.
fn quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if bytes[i + 1..].starts_with(b"\n") => i += 2,
            b'=' if i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("3D");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'='));
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl MailSink {
    /// An SMTP server on a free port.
    pub fn start() -> Self {
        let folder = tempfile::tempdir().expect("a folder for the mail");
        let mut sink = Self { child: None, port: 0, folder };
        sink.run_on(0);
        sink
    }

    fn run_on(&mut self, port: u16) {
        let mut child = Command::new("python3")
            .arg(SINK)
            .arg(self.folder.path())
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP sink (aiosmtpd installed by .ci/install-tools)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its output")).read_line(&mut line).expect("the port");
        self.port = line.trim().parse().unwrap_or_else(|_| panic!("the SMTP sink did not start: {line:?}"));
        self.child = Some(child);
    }

    /// Stops the SMTP server (connections are refused until `restart`).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, keeping what it received.
    pub fn restart(&mut self) {
        self.stop();
        self.run_on(self.port);
    }

    /// `SMTP_URL` for it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .expect("the mail folder")
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|path| {
                let raw = std::fs::read_to_string(&path).expect("a message");
                let (first, rest) = raw.split_once("\r\n").expect("the envelope line");
                Received { to: first.trim_start_matches("X-Envelope-To: ").to_owned(), raw: rest.to_owned() }
            })
            .collect()
    }

    /// The messages to `to`.
    pub fn to(&self, to: &str) -> Vec<Received> {
        self.received().into_iter().filter(|m| m.to.eq_ignore_ascii_case(to)).collect()
    }

    /// Waits (up to 15 s) until `count` messages to `to` have arrived, and returns them all.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.to(to);
            if got.len() >= count {
                return got;
            }
            assert!(Instant::now() < deadline, "{count} message(s) to {to} expected, {} arrived: {got:#?}", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server under test with mail on, through a fresh SMTP sink.
pub async fn spawn_app_with_mail() -> (TestApp, MailSink) {
    let sink = MailSink::start();
    let folder = tempfile::tempdir().expect("temp dir");
    let url = fresh_database_url(folder.path()).await;
    let mut config = test_config(url);
    config.smtp = Some(server::infra::mail::smtp_url::parse(&sink.url()).expect("the sink's URL"));
    config.settings.mail = domain::mail::MailIdentity::new("Sign-in <auth@example.test>");
    let mut app = spawn_app_with(config).await;
    app.keep_folder(folder);
    (app, sink)
}
