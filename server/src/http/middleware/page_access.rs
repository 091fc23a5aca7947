//! Who may see which page (API.md): a visitor who may not see a page is sent to `/login`; a
//! session half-way in (password done, code not yet) to `/login/2fa`; the setup page with 2FA
//! already on to `/account`. Decided here, before the page renders, so it holds with or
//! without JavaScript.

use app::{
    api::Flash,
    server::{flash, session::RequestSession, state::AppState},
};
use axum::{
    extract::Request,
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::flows::{current_user, return_to, session::Stage};
use tower_sessions::Session;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Both factors done.
    SignedIn,
    /// Both factors done, and 2FA not yet on.
    SignedInWithoutTwoFactor,
    /// Password done, second factor awaited.
    PendingSecondFactor,
}

fn rule_for(path: &str) -> Option<Rule> {
    match path.trim_end_matches('/') {
        "/account" => Some(Rule::SignedIn),
        "/account/2fa/setup" => Some(Rule::SignedInWithoutTwoFactor),
        "/login/2fa" => Some(Rule::PendingSecondFactor),
        _ => None,
    }
}

/// The `rd` of a request for `/login`, when it is a valid target (API.md: a visitor already
/// signed in well enough goes there at once) — unless it waits for a fresh sign-in (an app's
/// `prompt=login`), which the form is then for.
fn login_return_to(state: &AppState, req: &Request) -> Option<String> {
    if req.uri().path() != "/login" {
        return None;
    }
    let query = req.uri().query()?;
    let rd = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "rd")?.1.into_owned();
    if domain::openid::authorization::asks_fresh_sign_in(&rd) {
        return None;
    }
    return_to::checked(&rd, &state.settings)
}

pub async fn guard(state: &AppState, req: Request, next: Next) -> Response {
    if let Some(rd) = login_return_to(state, &req) {
        if let Some(session) = req.extensions().get::<Session>().cloned() {
            if let Ok((Stage::SignedIn { .. }, Some(account))) =
                current_user::current_stage(state, &RequestSession::new(session, None)).await
            {
                let next_page = if account.two_factor_on() {
                    return_to::after_second_factor(Some(&rd), &state.settings)
                } else {
                    let who = current_user::rules_subject(state, account.id).await.unwrap_or_default();
                    return_to::after_sign_in(Some(&rd), &state.settings, &who, false)
                };
                return flash::see_other(&next_page, None, state.settings.secure_cookies);
            }
        }
    }
    let Some(rule) = rule_for(req.uri().path()) else { return next.run(req).await };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else { return next.run(req).await };
    let session = RequestSession::new(session, None);
    let (stage, account) = match current_user::current_stage(state, &session).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = ?e, "session store or database unavailable");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    // A signed-in session whose fresh sign-in (asked for by an app) waits for its second factor.
    let fresh_code_step = rule == Rule::PendingSecondFactor
        && matches!(stage, Stage::SignedIn { .. })
        && domain::flows::session::fresh_second_factor_due(&session, state.now()).await.unwrap_or(false);
    let destination = match (rule, stage) {
        (Rule::SignedIn | Rule::SignedInWithoutTwoFactor, Stage::Anonymous | Stage::PendingExpired) => {
            Some(("/login", None))
        }
        (Rule::SignedIn | Rule::SignedInWithoutTwoFactor, Stage::PendingSecondFactor { .. }) => {
            Some(("/login/2fa", None))
        }
        (Rule::SignedInWithoutTwoFactor, Stage::SignedIn { .. }) => {
            account.filter(|a| a.two_factor_on()).map(|_| ("/account", None))
        }
        (Rule::PendingSecondFactor, Stage::SignedIn { .. }) if fresh_code_step => None,
        (Rule::PendingSecondFactor, Stage::SignedIn { .. }) => Some(("/account", None)),
        (Rule::PendingSecondFactor, Stage::Anonymous) => Some(("/login", None)),
        (Rule::PendingSecondFactor, Stage::PendingExpired) => Some((
            "/login",
            Some(Flash {
                is_error: true,
                message: "Your sign-in expired after 5 minutes without a code. Sign in with your password again."
                    .into(),
            }),
        )),
        (Rule::SignedIn, Stage::SignedIn { .. }) | (Rule::PendingSecondFactor, Stage::PendingSecondFactor { .. }) => {
            None
        }
    };
    match destination {
        None => next.run(req).await,
        Some((location, message)) => flash::see_other(location, message.as_ref(), state.settings.secure_cookies),
    }
}
