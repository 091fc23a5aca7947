//! `/pkg/*`: the JS, WASM and CSS cargo-leptos built. Served precompressed from the `.br`/`.gz`
//! files the release build leaves beside them. Their names carry a content hash (cargo-leptos
//! `hash-files`), so a browser may keep them for a year without asking again; a file without a
//! hash in its name (a build with hashing off) is revalidated instead.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response, Router};
use http::header;
use tower_http::services::ServeDir;

const HASHED: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const UNHASHED: HeaderValue = HeaderValue::from_static("public, max-age=0, must-revalidate");

pub fn router<S: Clone + Send + Sync + 'static>(site_root: &str, pkg_dir: &str) -> Router<S> {
    let folder = std::path::Path::new(site_root).join(pkg_dir);
    let files = ServeDir::new(folder).precompressed_br().precompressed_gzip();
    Router::new()
        // The in-page navigation and security-key scripts are compiled into the server
        // (`app/src/islands/`).
        .route(
            &format!("/{}", app::navigation_script_file_name()),
            axum::routing::get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], app::NAVIGATION_SCRIPT)
            })
            .layer(tower_http::compression::CompressionLayer::new()),
        )
        .route(
            &format!("/{}", app::security_keys_script_file_name()),
            axum::routing::get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], app::SECURITY_KEYS_SCRIPT)
            })
            .layer(tower_http::compression::CompressionLayer::new()),
        )
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_lifetime))
}

async fn cache_lifetime(request: Request, next: Next) -> Response {
    let hashed = has_content_hash(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == http::StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(header::CACHE_CONTROL, if hashed { HASHED } else { UNHASHED });
    }
    response
}

/// `name.<hash>.ext`, as cargo-leptos names them (the hash is URL-safe base64 of an MD5).
fn has_content_hash(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() >= 3 && {
        let hash = parts[parts.len() - 2];
        hash.len() >= 16 && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }
}

#[cfg(test)]
mod tests {
    use super::has_content_hash;

    #[test]
    fn only_hashed_names_are_cached_for_a_year() {
        assert!(has_content_hash("/totp-signin.yNuTIyUR7XcZzYUTx3Vt4w.wasm"));
        assert!(!has_content_hash("/totp-signin.wasm"));
        assert!(!has_content_hash("/totp-signin.min.js"));
    }
}
