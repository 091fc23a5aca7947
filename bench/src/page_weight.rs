//! What a first visit to `/login` downloads, in bytes as served to a browser that accepts
//! brotli, how the static files are served (precompressed, hashed names, cache lifetimes), and
//! what a client-side navigation from there to `/register` moves (the page's HTML alone: the
//! script, WASM and CSS stay loaded; see `app/src/islands/navigation.rs`).

use crate::load::{Call, Conn};
use std::net::SocketAddr;

pub struct Download {
    pub path: String,
    pub bytes: u64,
    pub encoding: String,
}

pub struct PageWeight {
    pub downloads: Vec<Download>,
    /// HTML and CSS: the page cannot render before these arrive.
    pub render_blocking: u64,
    pub total: u64,
    /// A client-side navigation to `/register`: its HTML, as served.
    pub navigation: u64,
    /// How the static files are served, where it falls short of the budget's rules.
    pub problems: Vec<String>,
    /// The security-key script (WebAuthn), as `/account` loads it; `/login` must not.
    pub key_script: Option<Download>,
    pub login_loads_key_script: bool,
}

const A_YEAR: u64 = 365 * 24 * 3600;

fn header(reply: &crate::load::Reply, name: &str) -> String {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// `/pkg/<name>.<hash>.<ext>`: a content hash in the name, so the file can be cached for a year.
fn has_hashed_name(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() >= 3
        && parts[parts.len() - 2].len() >= 8
        && parts[parts.len() - 2].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub async fn measure(addr: SocketAddr) -> anyhow::Result<PageWeight> {
    let host = addr.to_string();
    let mut conn = Conn::new(addr);
    let mut problems = Vec::new();
    let fetch = |path: &str, encodings: &str| Call::get(path).accept_encoding(encodings).build(&host);
    let page = conn.send(fetch("/login", "br, gzip")).await.map_err(|f| anyhow::anyhow!("GET /login: {f:?}"))?;
    anyhow::ensure!(page.status == 200, "GET /login answered {}", page.status);
    if !header(&page, "cache-control").contains("no-store") {
        problems
            .push(format!("/login is served with Cache-Control {:?}, not no-store", header(&page, "cache-control")));
    }
    let plain = conn.send(fetch("/login", "identity")).await.map_err(|f| anyhow::anyhow!("GET /login: {f:?}"))?;
    let html = String::from_utf8_lossy(&plain.body).into_owned();
    let mut assets: Vec<String> = html
        .match_indices("/pkg/")
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let end = rest.find(['"', '\'', ' ', ')', '>'])?;
            let path = &rest[..end];
            [".css", ".js", ".wasm"].iter().any(|ext| path.ends_with(ext)).then(|| path.to_owned())
        })
        .collect();
    assets.sort();
    assets.dedup();
    if assets.is_empty() {
        problems.push("/login links no CSS, JS or WASM under /pkg/".into());
    }

    let mut downloads = vec![Download {
        path: "/login".into(),
        bytes: page.body.len() as u64,
        encoding: header(&page, "content-encoding"),
    }];
    for asset in &assets {
        let reply = conn.send(fetch(asset, "br, gzip")).await.map_err(|f| anyhow::anyhow!("GET {asset}: {f:?}"))?;
        anyhow::ensure!(reply.status == 200, "GET {asset} answered {}", reply.status);
        let encoding = header(&reply, "content-encoding");
        if encoding != "br" {
            problems.push(format!("{asset} is not served with brotli to a browser that accepts it"));
        }
        let gzip = conn.send(fetch(asset, "gzip")).await.map_err(|f| anyhow::anyhow!("GET {asset}: {f:?}"))?;
        if header(&gzip, "content-encoding") != "gzip" {
            problems.push(format!("{asset} is not served with gzip to a browser that accepts only gzip"));
        }
        let cache = header(&reply, "cache-control");
        let max_age =
            cache.split(',').find_map(|d| d.trim().strip_prefix("max-age=")?.parse::<u64>().ok()).unwrap_or(0);
        if max_age < A_YEAR || !cache.contains("immutable") {
            problems.push(format!("{asset} is served with Cache-Control {cache:?}, not a year and immutable"));
        }
        if !has_hashed_name(asset) {
            problems.push(format!("{asset} has no content hash in its name"));
        }
        downloads.push(Download { path: asset.clone(), bytes: reply.body.len() as u64, encoding });
    }
    let render_blocking =
        downloads.iter().filter(|d| d.path == "/login" || d.path.ends_with(".css")).map(|d| d.bytes).sum();
    let total = downloads.iter().map(|d| d.bytes).sum();
    let next = conn.send(fetch("/register", "br, gzip")).await.map_err(|f| anyhow::anyhow!("GET /register: {f:?}"))?;
    anyhow::ensure!(next.status == 200, "GET /register answered {}", next.status);
    let navigation = next.body.len() as u64;
    let login_loads_key_script = assets.iter().any(|a| a.contains(KEY_SCRIPT));
    Ok(PageWeight { downloads, render_blocking, total, navigation, problems, key_script: None, login_loads_key_script })
}

/// The security-key script's name starts so (`app/src/islands/security_keys.rs`).
const KEY_SCRIPT: &str = "/security_keys.";

/// The security-key script as a signed-in `/account` (with `session`) loads it, in bytes as
/// served with brotli.
pub async fn key_script(addr: SocketAddr, session: &str) -> anyhow::Result<Download> {
    let host = addr.to_string();
    let mut conn = Conn::new(addr);
    let page = conn.send(Call::get("/account").cookie(session).build(&host)).await;
    let page = page.map_err(|f| anyhow::anyhow!("GET /account: {f:?}"))?;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let at = html.find(KEY_SCRIPT).ok_or_else(|| anyhow::anyhow!("/account links no security-key script"))?;
    let start = html[..at].rfind('"').map_or(0, |quote| quote + 1);
    let end = at + html[at..].find('"').unwrap_or(0);
    let path = html[start..end].to_owned();
    let reply = conn.send(Call::get(&path).accept_encoding("br, gzip").build(&host)).await;
    let reply = reply.map_err(|f| anyhow::anyhow!("GET {path}: {f:?}"))?;
    anyhow::ensure!(reply.status == 200, "GET {path} answered {}", reply.status);
    Ok(Download { path, bytes: reply.body.len() as u64, encoding: header(&reply, "content-encoding") })
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_hashed_names() {
        assert!(super::has_hashed_name("/pkg/totp-signin.3fa9c1d2e4b5.wasm"));
        assert!(!super::has_hashed_name("/pkg/totp-signin.wasm"));
        assert!(!super::has_hashed_name("/pkg/totp-signin.min.js"));
    }
}
