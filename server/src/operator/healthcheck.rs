//! `server healthcheck [--url URL]`: one plain HTTP/1.1 GET (a std `TcpStream`, no HTTP client
//! crate), success on a 200. For a container's HEALTHCHECK, where there is no shell and no curl:
//! the image holds this binary and nothing else.

use super::outcome::{OperatorError, Outcome};
use crate::startup::config::Config;
use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs},
    time::Duration,
};

/// Connecting, sending and reading each give up after this long: a health check must not hang.
const TIMEOUT: Duration = Duration::from_secs(3);

/// `url` defaults to `/healthz` on this server's own port (LEPTOS_SITE_ADDR), over the loopback
/// address when the server listens on all of them.
pub fn healthcheck(config: &Config, url: Option<&str>) -> Result<Outcome, OperatorError> {
    let url = url.map_or_else(|| default_url(config.leptos.site_addr), str::to_owned);
    let target = Target::parse(&url).ok_or_else(|| refused(&url, "not an http:// URL"))?;
    let status = get(&target).map_err(|e| refused(&url, &e))?;
    if status == 200 {
        Ok(Outcome::Printed(format!("healthy: {url} answered 200")))
    } else {
        Err(refused(&url, &format!("answered {status}")))
    }
}

fn refused(url: &str, why: &str) -> OperatorError {
    OperatorError::Refused(format!("unhealthy: {url}: {why}"))
}

fn default_url(site_addr: SocketAddr) -> String {
    let host = match site_addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(host, site_addr.port()))
}

/// `http://host[:port][/path]`.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// As written in the URL (`[::1]:3000`), for the Host header and for the resolver.
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Option<Target> {
        let rest = url.strip_prefix("http://")?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains(['@', ' ']) || path.contains([' ', '\r', '\n']) {
            return None;
        }
        let path = if path.starts_with('?') { format!("/{path}") } else { path.to_owned() };
        Some(Target { authority: authority.to_owned(), path })
    }

    fn socket_address(&self) -> Result<SocketAddr, String> {
        let with_port =
            if has_port(&self.authority) { self.authority.clone() } else { format!("{}:80", self.authority) };
        with_port
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.authority))?
            .next()
            .ok_or_else(|| format!("{} has no address", self.authority))
    }
}

fn has_port(authority: &str) -> bool {
    match authority.rsplit_once(':') {
        Some((host, port)) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':'),
        None => false,
    }
}

/// The status code of the answer to `GET path`.
fn get(target: &Target) -> Result<u16, String> {
    let address = target.socket_address()?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: server-healthcheck\r\nConnection: close\r\n\r\n",
        target.path, target.authority
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("cannot send: {e}"))?;
    // The status line is all we need: read until its end (or the answer's).
    let mut head = Vec::new();
    let mut buffer = [0u8; 512];
    while !head.contains(&b'\n') && head.len() < 8192 {
        let read = stream.read(&mut buffer).map_err(|e| format!("cannot read the answer: {e}"))?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    status_code(&head).ok_or_else(|| "no HTTP status line in the answer".to_owned())
}

/// `HTTP/1.x 200 OK` → 200.
fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_ascii_whitespace();
    parts.next().filter(|version| version.starts_with("HTTP/1."))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_url_is_this_servers_port_over_loopback() {
        assert_eq!(default_url("0.0.0.0:3000".parse().unwrap()), "http://127.0.0.1:3000/healthz");
        assert_eq!(default_url("[::]:8080".parse().unwrap()), "http://[::1]:8080/healthz");
        assert_eq!(default_url("10.1.2.3:80".parse().unwrap()), "http://10.1.2.3:80/healthz");
    }

    #[test]
    fn urls_are_parsed_into_authority_and_path() {
        let parsed = |url| Target::parse(url).map(|t| (t.authority, t.path));
        assert_eq!(parsed("http://127.0.0.1:3000/healthz"), Some(("127.0.0.1:3000".into(), "/healthz".into())));
        assert_eq!(parsed("http://localhost"), Some(("localhost".into(), "/".into())));
        assert_eq!(parsed("http://[::1]:3000?x=1"), Some(("[::1]:3000".into(), "/?x=1".into())));
        assert_eq!(parsed("https://example.com/"), None);
        assert_eq!(parsed("http:///healthz"), None);
        assert_eq!(parsed("http://a b/"), None);
    }

    #[test]
    fn ports_are_recognised_next_to_ipv6_addresses() {
        assert!(has_port("127.0.0.1:3000"));
        assert!(has_port("[::1]:3000"));
        assert!(!has_port("[::1]"));
        assert!(!has_port("localhost"));
    }

    #[test]
    fn the_status_code_is_read_from_the_status_line() {
        assert_eq!(status_code(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n"), Some(200));
        assert_eq!(status_code(b"HTTP/1.0 503 Service Unavailable\r\n"), Some(503));
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_code(b""), None);
    }

    #[test]
    fn a_live_server_answering_200_is_healthy_and_a_closed_port_is_not() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let answering = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let read = stream.read(&mut request).unwrap();
            let request = String::from_utf8_lossy(&request[..read]).into_owned();
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").unwrap();
            request
        });
        let target = Target::parse(&format!("http://127.0.0.1:{port}/healthz")).unwrap();
        assert_eq!(get(&target), Ok(200));
        let request = answering.join().unwrap();
        assert!(request.starts_with("GET /healthz HTTP/1.1\r\n"), "{request}");
        assert!(request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")), "{request}");
        // Nothing listens there any more.
        assert!(get(&target).is_err());
    }
}
