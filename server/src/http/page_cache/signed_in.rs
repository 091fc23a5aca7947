//! The account page of a signed-in visitor, kept once rendered (SQLite only: one process sees
//! every change). Signed-in clients navigate to `/account` often, and its render reads the
//! session, the account, its recovery codes and security log. Serving a kept page takes the same
//! checks as `/api/me` (the visitor, from the session and the cached identity) plus a fresh CSP
//! nonce, and no database read.
//!
//! A page is kept under the account, its session epoch, the account's version (raised after
//! every change to what the page shows: `Identities::changed`, called by the security log and
//! every account change) and whether the sign-in is recent (the page offers changes then). It is
//! never kept or served when the request carries a flash message or recovery codes wait to be
//! shown once, and it is kept at most a second, so an operator command run beside the server
//! (another process) shows within that second, as with the cached identities.

use super::{anonymous::MAX_PAGE_BYTES, template::Template};
use app::paths;
use app::server::{session::RequestSession, state::AppState};
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    middleware::Next,
    response::Response,
};
use domain::visitor::Visitor;
use http::{header, StatusCode};
use moka::sync::Cache;
use std::{sync::Arc, time::Duration};

/// The page kept (the one signed-in page every navigation comes back to). Only this one: the
/// other pages of the account area (sessions, apps, profile) show what changes without a new
/// account version (a session's last use, an app's tokens), and are rendered for every request.
pub const PATH: &str = paths::ACCOUNT;
/// How long an operator command in another process may go unseen.
const TTL: Duration = Duration::from_secs(1);
const CAPACITY: u64 = 10_000;

/// Whose page, in which state.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    user_id: i64,
    epoch: i64,
    version: u64,
    recent: bool,
}

/// Behind an `Arc`: the router clones its layers' state for every request, and that clone must
/// be one reference count (a moka cache's own clone is several).
#[derive(Clone)]
pub struct SignedInPages(Arc<Cache<Key, Arc<Template>>>);

impl Default for SignedInPages {
    fn default() -> Self {
        Self(Arc::new(Cache::builder().max_capacity(CAPACITY).time_to_live(TTL).build()))
    }
}

/// Serves `/account` from the kept page when it may, else renders it (through `next`) and keeps
/// it. `Err`: this request is not one for a kept page; the caller goes the usual way with it.
pub async fn serve(
    state: &AppState,
    pages: &SignedInPages,
    mut request: Request,
    next: Next,
) -> Result<Response, (Request, Next)> {
    let session = eligible(&request).then(|| RequestSession::of_request(&mut request)).flatten();
    let Some(session) = session else { return Err((request, next)) };
    let Some(key) = key_for(state, &session).await else { return Err((request, next)) };
    if let Some(template) = pages.0.get(&key) {
        return Ok(template.render());
    }
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_PAGE_BYTES).await else {
        return Ok(Response::from_parts(parts, Body::empty()));
    };
    if parts.status == StatusCode::OK && !parts.headers.contains_key(header::SET_COOKIE) {
        if let Some(template) = Template::split(&parts.headers, &body) {
            pages.0.insert(key, Arc::new(template));
        }
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// A request for the account page as such: no query, no flash message to show.
fn eligible(request: &Request) -> bool {
    request.method() == http::Method::GET
        && request.uri().path() == PATH
        && request.uri().query().is_none()
        && !has_flash(request)
}

/// The key of a signed-in visitor's account page, when the page may be kept for it.
async fn key_for(state: &AppState, session: &RequestSession) -> Option<Key> {
    let visitor = Visitor::of(state, session).await.ok()?;
    // An account that owes its second factor is led to the setup by the page guard: never kept.
    let signed_in = visitor.signed_in().ok().filter(|signed_in| !signed_in.owes_second_factor())?;
    // Read before the page renders: a change after this read makes the page kept now
    // unreachable.
    let version = state.identities.version(signed_in.user_id)?;
    if session.has_waiting_recovery_codes().await {
        return None;
    }
    Some(Key {
        user_id: signed_in.user_id,
        epoch: signed_in.identity.session_epoch,
        version,
        recent: signed_in.is_recent(state),
    })
}

fn has_flash(request: &Request) -> bool {
    app::server::flash::cookie_value(request.headers()).is_some()
}
