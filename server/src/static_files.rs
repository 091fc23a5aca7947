//! `/pkg/*`: the JS, WASM and CSS cargo-leptos built. Served precompressed when the build left
//! `.br`/`.gz` files beside them (the release build script does), with cache headers.

use axum::{http::HeaderValue, Router};
use http::header;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub fn router<S: Clone + Send + Sync + 'static>(site_root: &str, pkg_dir: &str) -> Router<S> {
    let folder = std::path::Path::new(site_root).join(pkg_dir);
    let files = ServeDir::new(folder).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(files).layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        // File names are not hashed yet: revalidate (cheap 304s) rather than cache blindly.
        HeaderValue::from_static("public, max-age=0, must-revalidate"),
    ))
}
