//! Who may see which page: the account area (`paths::ACCOUNT_AREA`) needs a full sign-in.
//! A visitor who may not see a page is sent to `/login`; a
//! session half-way in (password done, code not yet) to `/login/2fa`; the setup page with 2FA
//! already on to `/account`. Decided here, before the page renders, so it holds with or
//! without JavaScript.

use app::paths;
use app::{
    api::Flash,
    server::{client_address, flash, session::RequestSession, state::AppState},
};
use axum::{
    extract::Request,
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::{
    access_rules::Unmet,
    flows::{
        return_to::{self, ReturnTo},
        session,
    },
    visitor::Visitor,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Both factors done.
    SignedIn,
    /// Both factors done, and 2FA not yet on.
    SignedInWithoutTwoFactor,
    /// Password done, second factor awaited.
    PendingSecondFactor,
    /// The console: no redirect for anyone (a 404 page to all but administrators).
    Console,
}

fn rule_for(path: &str) -> Option<Rule> {
    match path.trim_end_matches('/') {
        // The console answers 404 to anyone else (its pages say so themselves); an administrator
        // whose invitation requires two factors meets the setup first like everyone.
        path if path == paths::CONSOLE || path.starts_with(paths::CONSOLE_PERSON_PREFIX) => Some(Rule::Console),
        page if paths::ACCOUNT_AREA.contains(&page) => Some(Rule::SignedIn),
        paths::TWO_FACTOR_SETUP => Some(Rule::SignedInWithoutTwoFactor),
        paths::SECOND_FACTOR => Some(Rule::PendingSecondFactor),
        _ => None,
    }
}

/// The `rd` of a request for `/login`, when it is a valid target (a visitor already signed in
/// well enough goes there at once; one whose sign-in is too old for the target's rule, or made
/// without the key it asks, gets the form: `step_up`) — unless it waits for a fresh sign-in (an
/// app's `prompt=login`), which the form is then for.
fn login_return_to(state: &AppState, req: &Request) -> Option<ReturnTo> {
    if req.uri().path() != paths::LOGIN {
        return None;
    }
    let query = req.uri().query()?;
    let rd = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "rd")?.1.into_owned();
    ReturnTo::parse(&rd, &state.settings).filter(|rd| !rd.asks_fresh_sign_in())
}

/// `/login?rd=…` for a signed-in visitor whose sign-in the target's rule does not take as it is
/// (`max_age`, `factor = "key"`): the sign-in form, with a fresh sign-in asked of the session so
/// that the password step keeps the session signed in until its second factor completes (a
/// failed or abandoned re-check ends nothing). An account without a security key cannot meet
/// `factor = "key"`: it is sent to its account page, told why. `None`: the form, as is.
async fn step_up(
    state: &AppState,
    session: &RequestSession,
    visitor: &Visitor,
    unmet: Unmet,
    rd: &ReturnTo,
) -> Option<Response> {
    if unmet.key {
        let has_key = match visitor.signed_in() {
            Ok(signed_in) => signed_in.account(state).await.map(|account| account.security_keys > 0),
            Err(e) => Err(e),
        };
        match has_key {
            Ok(true) => {}
            Ok(false) => {
                let site = rd.authority().unwrap_or("This site");
                let message = Flash {
                    is_error: true,
                    message: format!(
                        "{site} needs a sign-in with a security key or passkey, and your account has none: add one here, then open {site} again."
                    ),
                };
                return Some(flash::see_other(paths::ACCOUNT, Some(&message), state.settings.secure_cookies));
            }
            Err(e) => {
                tracing::error!(error = ?e, "session store or database unavailable");
                return Some(StatusCode::SERVICE_UNAVAILABLE.into_response());
            }
        }
    }
    if let Err(e) = session::ask_fresh_sign_in_for_rule(session).await {
        tracing::error!(error = ?e, "session store or database unavailable");
        return Some(StatusCode::SERVICE_UNAVAILABLE.into_response());
    }
    None
}

pub async fn guard(state: &AppState, mut req: Request, next: Next) -> Response {
    if let Some(rd) = login_return_to(state, &req) {
        let session = RequestSession::of_request(&mut req);
        if let Some(session) = session {
            if let Ok(visitor @ Visitor::SignedIn(_)) = Visitor::of(state, &session).await {
                // The address the gate will judge the target from (both through TRUSTED_PROXIES).
                let trusted = &state.settings.trusted_proxies;
                let from = client_address::for_networks(
                    client_address::of_request(req.extensions(), req.headers(), trusted),
                    trusted,
                );
                match rd.unmet(&state.settings, &visitor, from, state.now()) {
                    Some(unmet) => {
                        if let Some(answer) = step_up(state, &session, &visitor, unmet, &rd).await {
                            return answer;
                        }
                        return next.run(req).await;
                    }
                    None => {
                        let next_page =
                            paths::landing(return_to::after_sign_in(Some(&rd), &state.settings, &visitor, from));
                        return flash::see_other(&next_page, None, state.settings.secure_cookies);
                    }
                }
            }
        }
    }
    let Some(rule) = rule_for(req.uri().path()) else { return next.run(req).await };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let Some(session) = RequestSession::of_request(&mut req) else { return next.run(req).await };
    let visitor = match Visitor::of(state, &session).await {
        Ok(visitor) => visitor,
        Err(e) => {
            tracing::error!(error = ?e, "session store or database unavailable");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    // A signed-in session whose fresh sign-in (asked for by an app) waits for its second factor.
    let fresh_code_step = rule == Rule::PendingSecondFactor
        && matches!(visitor, Visitor::SignedIn(_))
        && session::fresh_second_factor_due(&session, state.now()).await.unwrap_or(false);
    let destination = match (rule, &visitor) {
        (Rule::Console, _) => None,
        (Rule::SignedIn | Rule::SignedInWithoutTwoFactor, Visitor::Anonymous | Visitor::PendingExpired) => {
            Some((paths::LOGIN, None))
        }
        (Rule::SignedIn | Rule::SignedInWithoutTwoFactor, Visitor::Pending { .. }) => {
            Some((paths::SECOND_FACTOR, None))
        }
        (Rule::SignedInWithoutTwoFactor, Visitor::SignedIn(signed_in)) => {
            signed_in.identity.two_factor.then_some((paths::ACCOUNT, None))
        }
        (Rule::PendingSecondFactor, Visitor::SignedIn(_)) if fresh_code_step => None,
        (Rule::PendingSecondFactor, Visitor::SignedIn(_)) => Some((paths::ACCOUNT, None)),
        (Rule::PendingSecondFactor, Visitor::Anonymous) => Some((paths::LOGIN, None)),
        (Rule::PendingSecondFactor, Visitor::PendingExpired) => Some((
            paths::LOGIN,
            Some(Flash {
                is_error: true,
                message: "Your sign-in expired after 5 minutes without a code. Sign in with your password again."
                    .into(),
            }),
        )),
        // An invitation that requires two-factor authentication: its setup before anything else.
        (Rule::SignedIn, Visitor::SignedIn(signed_in)) if signed_in.owes_second_factor() => {
            Some((paths::TWO_FACTOR_SETUP, None))
        }
        (Rule::SignedIn, Visitor::SignedIn(_)) | (Rule::PendingSecondFactor, Visitor::Pending { .. }) => None,
    };
    match destination {
        None => next.run(req).await,
        Some((location, message)) => flash::see_other(location, message.as_ref(), state.settings.secure_cookies),
    }
}
