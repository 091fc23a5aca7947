//! The HTTP stack's ceiling: axum answering a constant body, nothing else (no middleware, no
//! database, no rendering). Binds 127.0.0.1 on a free port and prints it on the first line.

use axum::{routing::get, Router};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let app = Router::new().route("/", get(|| async { "ok" }));
    axum::serve(listener, app).await
}
