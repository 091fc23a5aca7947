//! Reading answers, and what the server stored.

use super::app::TestApp;
use reqwest::{header, Response, StatusCode};
use serde_json::Value;

pub async fn json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.expect("a JSON body");
    (status, body)
}

pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("session="))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

/// Everything the database stores, as bytes, to search for secrets in clear: the SQLite file
/// (with its WAL), or on PostgreSQL every column of the tables that could hold one.
pub async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    if let Some(path) = &app.db_path {
        let mut bytes = std::fs::read(path).unwrap();
        for suffix in ["-wal", "-shm"] {
            let mut other = path.clone().into_os_string();
            other.push(suffix);
            bytes.extend(std::fs::read(other).unwrap_or_default());
        }
        return bytes;
    }
    let mut bytes = Vec::new();
    for (table, text_columns, blob_columns) in [
        ("users", vec!["username", "password_hash"], vec!["totp_secret"]),
        ("totp_enrollments", vec![], vec!["secret"]),
        ("recovery_codes", vec![], vec!["salt", "code_hash"]),
        ("security_events", vec!["kind"], vec![]),
        ("sessions", vec!["id_hash"], vec!["data"]),
    ] {
        for column in text_columns {
            let values: Vec<String> =
                sqlx::query_scalar(&format!("SELECT {column} FROM {table}")).fetch_all(&app.db).await.unwrap();
            values.iter().for_each(|v| bytes.extend_from_slice(v.as_bytes()));
        }
        for column in blob_columns {
            let values: Vec<Option<Vec<u8>>> =
                sqlx::query_scalar(&format!("SELECT {column} FROM {table}")).fetch_all(&app.db).await.unwrap();
            values.into_iter().flatten().for_each(|v| bytes.extend(v));
        }
    }
    bytes
}
