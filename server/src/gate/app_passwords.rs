//! App passwords at the gate (`docs/contract/forward-auth.md#app-passwords`): an
//! `Authorization: Basic` (username and app password) or `Bearer` (app password) header,
//! honoured only where a rule with `app_passwords = true` decides the request. Everywhere else,
//! and whenever the app password is wrong, expired, for another host or of a disabled account,
//! the request is judged as if it carried none (by its session cookie, if any).

use super::answers::{allowed, unavailable};
use app::server::{client_address, state::AppState};
use axum::{
    http::{header, Extensions, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use domain::{
    access_rules::{Admission, Target},
    credentials::app_passwords::Presented,
    flows::app_passwords::{self, Checked},
    AuthError,
};
use std::net::IpAddr;

use crate::{
    http::middleware::json_errors::json_error,
    infra::metrics::{GateDecisions, GateOutcome},
};

/// The answer for a request carrying an app password where a rule takes it; `None`: judge the
/// request as if it carried none.
pub(super) async fn answer(
    state: &AppState,
    decisions: &GateDecisions,
    headers: &HeaderMap,
    extensions: &Extensions,
    target: &Target,
    from: Option<IpAddr>,
) -> Option<Response> {
    let rules = &state.settings.access_rules;
    let header = headers.get(header::AUTHORIZATION)?;
    let presented = Presented::from_authorization(header.as_bytes())?;
    if !rules.may_take_app_passwords(target, from) {
        return None;
    }
    let address = client_address::of_request(extensions, headers, &state.settings.trusted_proxies)
        .map(|address| address.to_canonical().to_string());
    let visitor = match app_passwords::check(state, &presented, &target.host, address.as_deref()).await {
        Ok(Checked::Accepted(visitor)) => visitor,
        Ok(Checked::NotAccepted) => return None,
        Err(AuthError::Throttled { retry_after }) => {
            decisions.count(GateOutcome::Refused);
            tracing::info!("forward auth: an app password from a throttled username or address (429)");
            let mut answer =
                json_error(StatusCode::TOO_MANY_REQUESTS, "Too many wrong passwords: wait before trying again.");
            if let Ok(seconds) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
                answer.headers_mut().insert(header::RETRY_AFTER, seconds);
            }
            return Some(answer);
        }
        Err(cause) => {
            decisions.count(GateOutcome::Unavailable);
            return Some(unavailable(&cause));
        }
    };
    let decision = rules.decide(target, &visitor, from);
    match rules.app_password_admission(&decision)? {
        Admission::Admitted => {
            decisions.count(GateOutcome::Admitted);
            Some(allowed(visitor.signed_in().ok()))
        }
        Admission::Refused => {
            decisions.count(GateOutcome::Refused);
            Some(json_error(StatusCode::FORBIDDEN, "The access rules do not let you reach this address."))
        }
        Admission::SignInFirst => None,
    }
}
