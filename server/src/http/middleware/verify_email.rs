//! `GET /verify-email/{token}`: the link that verifies an address, as the reader of the mail
//! follows it (`domain::flows::email_verification`). Answered here, before any page renders, so
//! it is the same with or without JavaScript:
//! - signed in (both factors where 2FA is on) to the account the link was made for: the address
//!   is verified, and a 303 to `/account/profile` says so;
//! - not signed in: a 303 to `/login?rd=/verify-email/{token}` (half-way in: `/login/2fa`; an
//!   account that owes its 2FA setup: the setup), the link unused; the sign-in comes back to it;
//! - anything else verifies nothing, and the page `/verify-email/{token}` says why, with the
//!   status (`app::server::email_link::LinkRefused`): a link of another account (403, the link
//!   still open for its owner), one used, expired, replaced, or sent to an address the account no
//!   longer has (410), an address another account has verified (409).
//!
//! Only GET follows a link: a HEAD (a mail scanner's, say) gets the page and changes nothing.

use app::{
    api::Flash,
    paths,
    server::{
        client_address::client_address, email_link::LinkRefused, flash, session::RequestSession, state::AppState,
        wire_error,
    },
};
use axum::{
    extract::{ConnectInfo, Request},
    http::Method,
    middleware::Next,
    response::Response,
};
use domain::{
    flows::{
        email_verification,
        return_to::{carried, ReturnTo},
    },
    visitor::Visitor,
    AuthError,
};
use std::net::SocketAddr;

/// The token of a request for a verification link's page.
pub fn token_of(request: &Request) -> Option<String> {
    let token = request.uri().path().strip_prefix(paths::VERIFY_EMAIL_PREFIX)?;
    (!token.is_empty() && !token.contains('/')).then(|| token.to_owned())
}

pub async fn follow(state: &AppState, token: String, mut request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    // Tokens are hex (`email_links::new_token`): anything else names no link, and goes into no
    // `rd`.
    if token.len() > 128 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return refused(AuthError::EmailLinkGone, request, next).await;
    }
    let Some(session) = RequestSession::of_request(&mut request) else { return next.run(request).await };
    let visitor = match Visitor::of(state, &session).await {
        Ok(visitor) => visitor,
        Err(e) => return wire_error::error_response(e),
    };
    let secure = state.settings.secure_cookies;
    let back_here = ReturnTo::parse(&format!("{}{token}", paths::VERIFY_EMAIL_PREFIX), &state.settings);
    let signed_in = match &visitor {
        Visitor::SignedIn(signed_in) if signed_in.owes_second_factor() => {
            return flash::see_other(&carried(paths::TWO_FACTOR_SETUP, back_here.as_ref()), None, secure);
        }
        Visitor::SignedIn(signed_in) => signed_in,
        Visitor::Pending { .. } => {
            return flash::see_other(&carried(paths::SECOND_FACTOR, back_here.as_ref()), None, secure);
        }
        Visitor::Anonymous | Visitor::PendingExpired => {
            let message = Flash {
                is_error: false,
                message: "Sign in to verify your email address: the link opens again once you are signed in.".into(),
            };
            return flash::see_other(&carried(paths::LOGIN, back_here.as_ref()), Some(&message), secure);
        }
    };
    let address = client_of(state, &request);
    match email_verification::follow(state, signed_in, address.as_deref(), &token).await {
        Ok(()) => {
            let message = Flash { is_error: false, message: "Your email address is verified.".into() };
            flash::see_other(paths::PROFILE, Some(&message), secure)
        }
        Err(e) => refused(e, request, next).await,
    }
}

/// The page, saying why the link verified nothing; a failure of the server is its own answer.
async fn refused(error: AuthError, mut request: Request, next: Next) -> Response {
    let status = wire_error::status(&error);
    if status.is_server_error() {
        return wire_error::error_response(error);
    }
    request.extensions_mut().insert(LinkRefused { status, message: wire_error::public_message(&error) });
    next.run(request).await
}

/// The client's address, as the security log names it (through trusted proxies only).
fn client_of(state: &AppState, request: &Request) -> Option<String> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    Some(client_address(peer.ip(), forwarded, &state.settings.trusted_proxies).to_string())
}
