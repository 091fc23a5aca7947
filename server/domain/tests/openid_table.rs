//! The OpenID Connect provider at the domain's level, as tables of cases: the authorization
//! request, the code exchange and the refresh grant. Clients are registered as the operator's
//! command registers them; visitors are built by `support` alone. Manual clock, in-memory SQLite.

// `clippy.toml` allows unwrap and expect in `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use domain::{
    clock::Clock,
    flows::{apps, sessions},
    openid::{
        authorization::{authorize, AuthorizationRequest, Outcome, CODE_SECONDS},
        codes::Code,
        store::{clients::ClientPolicy, keys},
        tokens::{self, ClientCredentials, Issued, TokenError, REFRESH_TOKEN_SECONDS},
    },
    visitor::Visitor,
    Services,
};
use support::{MemorySession, CHALLENGE, REDIRECT_URI, START, VERIFIER};

const STATE: &str = "af0ifjsldkj";
const NONCE: &str = "n-0S6_WzA2Mj";

/// The clients every table registers: `app` (confidential, one factor), `spa` (public, one
/// factor), `strict` (confidential, two factors) and `other` (confidential, one factor).
struct Clients {
    app: String,
    strict: String,
    other: String,
}

impl Clients {
    fn secret_of(&self, client_id: &str) -> Option<String> {
        match client_id {
            "app" => Some(self.app.clone()),
            "strict" => Some(self.strict.clone()),
            "other" => Some(self.other.clone()),
            _ => None,
        }
    }
}

async fn add_clients(services: &Services) -> Clients {
    let app = support::add_client(services, "app", false, ClientPolicy::OneFactor).await.unwrap();
    assert_eq!(
        support::add_client(services, "spa", true, ClientPolicy::OneFactor).await,
        None,
        "a public client has no secret"
    );
    let strict = support::add_client(services, "strict", false, ClientPolicy::TwoFactor).await.unwrap();
    let other = support::add_client(services, "other", false, ClientPolicy::OneFactor).await.unwrap();
    Clients { app, strict, other }
}

/// A well-formed request of `client_id` (PKCE for the public client `spa`).
fn request_of(client_id: &str) -> AuthorizationRequest {
    let pkce = client_id == "spa";
    AuthorizationRequest {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(support::redirect_uri_of(client_id)),
        scope: Some("openid profile".into()),
        state: Some(STATE.into()),
        nonce: Some(NONCE.into()),
        code_challenge: pkce.then(|| CHALLENGE.into()),
        code_challenge_method: pkce.then(|| "S256".into()),
        ..AuthorizationRequest::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The authorization request
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Pending,
    /// Signed in with the password alone (an account without 2FA), this long ago.
    OneFactor(i64),
    /// Signed in with password and code, this long ago.
    TwoFactor(i64),
    /// Signed in with password and code, after a fresh sign-in the request waits for completed.
    TwoFactorFreshDone,
}

struct AuthorizeCase {
    name: &'static str,
    client: &'static str,
    change: fn(&mut AuthorizationRequest),
    who: Who,
    expect: &'static str,
}

/// The outcome in a few words; an error redirect must go back to the registered URI with the
/// state, a code with the state too.
fn describe(outcome: &Outcome, client: &str) -> String {
    match outcome {
        Outcome::ErrorPage(_) => "error page".into(),
        Outcome::ErrorRedirect { redirect_uri, error, state, .. } => {
            assert_eq!(redirect_uri, &support::redirect_uri_of(client), "an error goes back to the registered URI");
            assert_eq!(state.as_deref(), Some(STATE), "an error carries the state back");
            format!("error {error}")
        }
        Outcome::SignIn { fresh: None } => "sign in".into(),
        Outcome::SignIn { fresh: Some(_) } => "fresh sign in".into(),
        Outcome::SecondFactor => "second factor".into(),
        Outcome::SetUpTwoFactor => "set up 2FA".into(),
        Outcome::Code { redirect_uri, state, .. } => {
            assert_eq!(redirect_uri, &support::redirect_uri_of(client), "a code goes back to the registered URI");
            assert_eq!(state.as_deref(), Some(STATE), "a code carries the state back");
            "code".into()
        }
    }
}

#[tokio::test]
async fn an_authorization_request_leads_to_an_error_a_sign_in_step_or_a_code() {
    fn keep(_: &mut AuthorizationRequest) {}
    let case = |name, client, change, who, expect| AuthorizeCase { name, client, change, who, expect };
    let cases = [
        // Who the client is and where it goes back: never a redirect when either is wrong.
        case("an unknown client", "app", |r| r.client_id = Some("nobody".into()), Who::TwoFactor(0), "error page"),
        case("no client_id", "app", |r| r.client_id = None, Who::TwoFactor(0), "error page"),
        case(
            "an unregistered redirect_uri",
            "app",
            |r| r.redirect_uri = Some("https://evil.example.test/callback".into()),
            Who::TwoFactor(0),
            "error page",
        ),
        case(
            "the redirect_uri with a trailing slash",
            "app",
            |r| r.redirect_uri = Some(format!("{REDIRECT_URI}/")),
            Who::TwoFactor(0),
            "error page",
        ),
        case(
            "another client's redirect_uri",
            "app",
            |r| r.redirect_uri = Some(support::redirect_uri_of("other")),
            Who::TwoFactor(0),
            "error page",
        ),
        case("no redirect_uri", "app", |r| r.redirect_uri = None, Who::TwoFactor(0), "error page"),
        case(
            "an unknown client and no response_type",
            "app",
            |r| {
                r.client_id = Some("nobody".into());
                r.response_type = None;
            },
            Who::Anonymous,
            "error page",
        ),
        // The request itself: back to the client with an error.
        case("no response_type", "app", |r| r.response_type = None, Who::TwoFactor(0), "error invalid_request"),
        case(
            "an empty response_type",
            "app",
            |r| r.response_type = Some(String::new()),
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "response_type=token",
            "app",
            |r| r.response_type = Some("token".into()),
            Who::TwoFactor(0),
            "error unsupported_response_type",
        ),
        case(
            "response_type=code id_token",
            "app",
            |r| r.response_type = Some("code id_token".into()),
            Who::TwoFactor(0),
            "error unsupported_response_type",
        ),
        case(
            "a scope without openid",
            "app",
            |r| r.scope = Some("profile email".into()),
            Who::TwoFactor(0),
            "error invalid_scope",
        ),
        case("no scope", "app", |r| r.scope = None, Who::TwoFactor(0), "error invalid_scope"),
        case(
            "openid as part of a word",
            "app",
            |r| r.scope = Some("openidx".into()),
            Who::TwoFactor(0),
            "error invalid_scope",
        ),
        // PKCE.
        case(
            "a public client without PKCE",
            "spa",
            |r| {
                r.code_challenge = None;
                r.code_challenge_method = None;
            },
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "a public client with PKCE plain",
            "spa",
            |r| r.code_challenge_method = Some("plain".into()),
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "a challenge without its method",
            "spa",
            |r| r.code_challenge_method = None,
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "a method without a challenge",
            "spa",
            |r| r.code_challenge = None,
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "an S256 challenge of the wrong length",
            "spa",
            |r| r.code_challenge = Some(CHALLENGE[1..].into()),
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "an S256 challenge with padding",
            "spa",
            |r| r.code_challenge = Some(format!("{}=", &CHALLENGE[1..])),
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case("a public client with S256", "spa", keep, Who::TwoFactor(0), "code"),
        case("a confidential client without PKCE", "app", keep, Who::TwoFactor(0), "code"),
        case(
            "a confidential client with S256",
            "app",
            |r| {
                r.code_challenge = Some(CHALLENGE.into());
                r.code_challenge_method = Some("S256".into());
            },
            Who::TwoFactor(0),
            "code",
        ),
        // Who asks, and prompt.
        case("anonymous", "app", keep, Who::Anonymous, "sign in"),
        case(
            "anonymous, prompt=none",
            "app",
            |r| r.prompt = Some("none".into()),
            Who::Anonymous,
            "error login_required",
        ),
        case("password step only", "app", keep, Who::Pending, "second factor"),
        case(
            "password step only, prompt=none",
            "app",
            |r| r.prompt = Some("none".into()),
            Who::Pending,
            "error login_required",
        ),
        case("signed in, prompt=none", "app", |r| r.prompt = Some("none".into()), Who::TwoFactor(0), "code"),
        case(
            "prompt=none login",
            "app",
            |r| r.prompt = Some("none login".into()),
            Who::TwoFactor(0),
            "error invalid_request",
        ),
        case(
            "prompt=consent none",
            "app",
            |r| r.prompt = Some("consent none".into()),
            Who::Anonymous,
            "error invalid_request",
        ),
        case("signed in, prompt=login", "app", |r| r.prompt = Some("login".into()), Who::TwoFactor(0), "fresh sign in"),
        case("anonymous, prompt=login", "app", |r| r.prompt = Some("login".into()), Who::Anonymous, "sign in"),
        case(
            "the fresh sign-in it waited for is done",
            "app",
            |r| r.fresh_sign_in = Some("asked-1".into()),
            Who::TwoFactorFreshDone,
            "code",
        ),
        case(
            "a fresh sign-in not done yet",
            "app",
            |r| r.fresh_sign_in = Some("asked-1".into()),
            Who::TwoFactor(0),
            "fresh sign in",
        ),
        // max_age.
        case("max_age=-1", "app", |r| r.max_age = Some("-1".into()), Who::TwoFactor(0), "error invalid_request"),
        case("max_age=ten", "app", |r| r.max_age = Some("ten".into()), Who::TwoFactor(0), "error invalid_request"),
        case("max_age=60, signed in 60 s ago", "app", |r| r.max_age = Some("60".into()), Who::TwoFactor(60), "code"),
        case(
            "max_age=60, signed in 61 s ago",
            "app",
            |r| r.max_age = Some("60".into()),
            Who::TwoFactor(61),
            "fresh sign in",
        ),
        case(
            "max_age=60, signed in 61 s ago, prompt=none",
            "app",
            |r| {
                r.max_age = Some("60".into());
                r.prompt = Some("none".into());
            },
            Who::TwoFactor(61),
            "error login_required",
        ),
        case("max_age=0, signed in this second", "app", |r| r.max_age = Some("0".into()), Who::TwoFactor(0), "code"),
        // A client that asks for two factors.
        case("2FA client, an account without 2FA", "strict", keep, Who::OneFactor(0), "set up 2FA"),
        case(
            "2FA client, an account without 2FA, prompt=none",
            "strict",
            |r| r.prompt = Some("none".into()),
            Who::OneFactor(0),
            "error login_required",
        ),
        case("2FA client, an account with 2FA", "strict", keep, Who::TwoFactor(0), "code"),
        case("1FA client, an account without 2FA", "app", keep, Who::OneFactor(0), "code"),
    ];

    let services = support::services(Clock::manual(START)).await;
    add_clients(&services).await;
    let (alice, alice_session) = support::register(&services, "alice").await;
    let bob = support::register_with_two_factor(&services, "bob").await;
    let bob_session = support::signed_in_with_code(&services, &bob).await;
    let epoch_of = |session: &MemorySession| match session.record() {
        Some(domain::flows::session::SignInRecord::SignedIn { epoch, .. }) => epoch,
        other => panic!("not signed in: {other:?}"),
    };
    let (alice_epoch, bob_epoch) = (epoch_of(&alice_session), epoch_of(&bob_session));
    for case in &cases {
        let mut request = request_of(case.client);
        (case.change)(&mut request);
        let now = services.now();
        let visitor: support::Asking = match case.who {
            Who::Anonymous => support::anonymous(),
            Who::Pending => support::pending(),
            Who::OneFactor(ago) => support::signed_in_visitor(alice, false, now - ago, alice_epoch),
            Who::TwoFactor(ago) => support::signed_in_visitor(bob.id, true, now - ago, bob_epoch),
            Who::TwoFactorFreshDone => {
                // A step on: bob's code of this step signed his first session in.
                services.clock.advance(support::STEP);
                let session = support::after_password(&services, "bob").await;
                domain::flows::session::ask_fresh_sign_in(&session, "asked-1").await.unwrap();
                domain::flows::sign_in::code_step(&services, &session, Some(bob.code_now(&services))).await.unwrap();
                support::visitor(&services, &session, Some("asked-1")).await
            }
        };
        let now = services.now();
        let outcome = authorize(&services, &request, &visitor.0, visitor.1).await.unwrap();
        assert_eq!(describe(&outcome, case.client), case.expect, "case: {} ({:?})", case.name, case.who);
        if let Outcome::Code { code, .. } = &outcome {
            let opened = Code::open(&services.code_sealing, code).expect("a code this server sealed");
            let (user_id, amr) = match case.who {
                Who::OneFactor(_) => (alice, "pwd"),
                _ => (bob.id, "pwd otp mfa"),
            };
            assert_eq!(opened.grant.client_id, case.client, "case: {}", case.name);
            assert_eq!(opened.grant.user_id, user_id, "case: {}", case.name);
            assert_eq!(opened.grant.amr, amr, "case: {}", case.name);
            assert_eq!(opened.binding.redirect_uri, support::redirect_uri_of(case.client), "case: {}", case.name);
            assert_eq!(opened.binding.nonce.as_deref(), Some(NONCE), "case: {}", case.name);
            assert_eq!(opened.expires_at, now + CODE_SECONDS, "case: {}", case.name);
        }
    }
}

#[tokio::test]
async fn only_known_scopes_are_granted() {
    let cases = [
        ("openid alone", "openid", "openid"),
        ("all of them", "openid profile email groups offline_access", "openid profile email groups offline_access"),
        ("unknown ones dropped", "openid admin profile write:all", "openid profile"),
        ("in another order, extra spaces", "  email   openid ", "openid email"),
    ];
    let services = support::services(Clock::manual(START)).await;
    add_clients(&services).await;
    let bob = support::register_with_two_factor(&services, "bob").await;
    for (name, asked, granted) in cases {
        let mut request = request_of("app");
        request.scope = Some(asked.into());
        let visitor = support::signed_in_visitor(bob.id, true, services.now(), 1);
        let Outcome::Code { code, .. } = authorize(&services, &request, &visitor.0, visitor.1).await.unwrap() else {
            panic!("case {name}: no code");
        };
        assert_eq!(Code::open(&services.code_sealing, &code).unwrap().grant.scope, granted, "case: {name}");
    }
}

// ---------------------------------------------------------------------------------------------
// The code exchange
// ---------------------------------------------------------------------------------------------

/// A code for `client_id`, asked by bob's signed-in session (with PKCE when `pkce`).
async fn code_for(services: &Services, session: &MemorySession, client_id: &str, pkce: bool, scope: &str) -> String {
    let mut request = request_of(client_id);
    request.scope = Some(scope.into());
    request.code_challenge = pkce.then(|| CHALLENGE.into());
    request.code_challenge_method = pkce.then(|| "S256".into());
    let visitor = support::visitor(services, session, None).await;
    match authorize(services, &request, &visitor.0, visitor.1).await.unwrap() {
        Outcome::Code { code, .. } => code,
        other => panic!("no code: {other:?}"),
    }
}

fn credentials(clients: &Clients, client_id: &str, secret: Secret) -> ClientCredentials {
    ClientCredentials {
        client_id: Some(client_id.into()),
        secret: match secret {
            Secret::Right => clients.secret_of(client_id),
            Secret::Wrong => Some("0".repeat(64)),
            Secret::Empty => Some(String::new()),
            Secret::None => None,
            Secret::Of(other) => clients.secret_of(other),
        },
    }
}

/// "issued" or "<error>: <description>".
fn token_outcome(result: &Result<Issued, TokenError>) -> String {
    match result {
        Ok(_) => "issued".into(),
        Err(TokenError::Failed(e)) => panic!("an unexpected error: {e:?}"),
        Err(TokenError::Refused { refusal, description }) => format!("{refusal}: {description}"),
    }
}

#[derive(Clone, Copy)]
enum Secret {
    Right,
    Wrong,
    Empty,
    None,
    /// Another client's secret.
    Of(&'static str),
}

#[derive(Clone, Copy, PartialEq)]
enum BeforeExchange {
    Nothing,
    /// The code was exchanged once already, by its client.
    ExchangedOnce,
    /// An exchange with a wrong redirect_uri was refused.
    RefusedOnce,
    /// Another client presented the code (and was refused).
    PresentedByOtherClient,
    /// The account ended its other sessions (its session epoch moved on).
    SessionsEnded,
}

#[derive(Clone, Copy)]
enum Presented {
    TheCode,
    Nothing,
    Text(&'static str),
}

struct ExchangeCase {
    name: &'static str,
    /// The client the code is issued to, with PKCE or not.
    issued_to: &'static str,
    pkce: bool,
    before: BeforeExchange,
    wait: i64,
    /// Who presents it.
    client: &'static str,
    secret: Secret,
    code: Presented,
    redirect_uri: Option<&'static str>,
    verifier: Option<&'static str>,
    expect: &'static str,
}

const OTHER_VERIFIER: &str = "0123456789012345678901234567890123456789abc";

#[tokio::test]
async fn a_code_is_exchanged_once_by_its_client_with_its_redirect_uri_and_verifier_within_a_minute() {
    let base = ExchangeCase {
        name: "",
        issued_to: "app",
        pkce: false,
        before: BeforeExchange::Nothing,
        wait: 0,
        client: "app",
        secret: Secret::Right,
        code: Presented::TheCode,
        redirect_uri: Some(REDIRECT_URI),
        verifier: None,
        expect: "issued",
    };
    let spa = ExchangeCase {
        issued_to: "spa",
        pkce: true,
        client: "spa",
        secret: Secret::None,
        redirect_uri: Some("https://spa.example.test/callback"),
        verifier: Some(VERIFIER),
        ..base
    };
    let cases = [
        ExchangeCase { name: "the right code, client and redirect_uri", ..base },
        ExchangeCase { name: "a public client with its verifier", ..spa },
        ExchangeCase {
            name: "a confidential client with PKCE and its verifier",
            pkce: true,
            verifier: Some(VERIFIER),
            ..base
        },
        ExchangeCase {
            name: "the code a second time",
            before: BeforeExchange::ExchangedOnce,
            expect: "invalid_grant: the code was already used",
            ..base
        },
        ExchangeCase {
            name: "the code again after a refused exchange",
            before: BeforeExchange::RefusedOnce,
            expect: "invalid_grant: the code was already used",
            ..base
        },
        ExchangeCase {
            name: "another redirect_uri",
            redirect_uri: Some("https://other.example.test/callback"),
            expect: "invalid_grant: redirect_uri differs from the authorization request's",
            ..base
        },
        ExchangeCase {
            name: "no redirect_uri",
            redirect_uri: None,
            expect: "invalid_grant: redirect_uri differs from the authorization request's",
            ..base
        },
        ExchangeCase {
            name: "a wrong verifier",
            verifier: Some(OTHER_VERIFIER),
            expect: "invalid_grant: the code_verifier does not match the code_challenge",
            ..spa
        },
        ExchangeCase {
            name: "no verifier for a challenge",
            verifier: None,
            expect: "invalid_grant: the code_verifier does not match the code_challenge",
            ..spa
        },
        ExchangeCase {
            name: "the challenge given as the verifier",
            verifier: Some(CHALLENGE),
            expect: "invalid_grant: the code_verifier does not match the code_challenge",
            ..spa
        },
        ExchangeCase {
            name: "a verifier for a code without a challenge",
            verifier: Some(VERIFIER),
            expect: "invalid_grant: there was no code_challenge for this code",
            ..base
        },
        ExchangeCase { name: "59 seconds after it was issued", wait: CODE_SECONDS - 1, ..base },
        ExchangeCase {
            name: "60 seconds after: expired",
            wait: CODE_SECONDS,
            expect: "invalid_grant: the code has expired",
            ..base
        },
        ExchangeCase {
            name: "a wrong secret",
            secret: Secret::Wrong,
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        ExchangeCase {
            name: "no secret from a confidential client",
            secret: Secret::None,
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        ExchangeCase {
            name: "an empty secret from a confidential client",
            secret: Secret::Empty,
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        ExchangeCase {
            name: "another client's secret",
            secret: Secret::Of("other"),
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        ExchangeCase {
            name: "a secret from a public client",
            secret: Secret::Of("app"),
            expect: "invalid_client: unknown client or wrong secret",
            ..spa
        },
        ExchangeCase { name: "an empty secret from a public client (counts as none)", secret: Secret::Empty, ..spa },
        ExchangeCase {
            name: "an unknown client",
            client: "nobody",
            secret: Secret::Wrong,
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        ExchangeCase {
            name: "a code of another client, with that client's redirect_uri",
            issued_to: "other",
            redirect_uri: Some("https://other.example.test/callback"),
            expect: "invalid_grant: the code was issued to another client",
            ..base
        },
        ExchangeCase {
            name: "the code by its own client after another client tried it",
            before: BeforeExchange::PresentedByOtherClient,
            ..base
        },
        ExchangeCase { name: "no code", code: Presented::Nothing, expect: "invalid_request: code is missing", ..base },
        ExchangeCase {
            name: "a made-up code",
            code: Presented::Text("abc"),
            expect: "invalid_grant: unknown code",
            ..base
        },
        ExchangeCase {
            name: "after the account ended its other sessions",
            before: BeforeExchange::SessionsEnded,
            expect: "invalid_grant: the sign-in the code came from has ended",
            ..base
        },
    ];
    for case in &cases {
        // A world per case: ending sessions and waiting move what later cases would see.
        let services = support::services(Clock::manual(START)).await;
        let clients = add_clients(&services).await;
        let bob = support::register_with_two_factor(&services, "bob").await;
        let session = support::signed_in_with_code(&services, &bob).await;
        let code = code_for(&services, &session, case.issued_to, case.pkce, "openid profile offline_access").await;
        let own =
            credentials(&clients, case.issued_to, if case.issued_to == "spa" { Secret::None } else { Secret::Right });
        let own_redirect = support::redirect_uri_of(case.issued_to);
        let own_verifier = case.pkce.then_some(VERIFIER);
        let mut first = None;
        match case.before {
            BeforeExchange::Nothing => {}
            BeforeExchange::ExchangedOnce => {
                let issued =
                    tokens::exchange_code(&services, &own, Some(&code), Some(&own_redirect), own_verifier).await;
                first = Some(issued.expect("the first exchange"));
            }
            BeforeExchange::RefusedOnce => {
                let refused =
                    tokens::exchange_code(&services, &own, Some(&code), Some("https://x.test/cb"), None).await;
                assert!(refused.is_err(), "case {}: the wrong redirect_uri was accepted", case.name);
            }
            BeforeExchange::PresentedByOtherClient => {
                let thief = credentials(&clients, "other", Secret::Right);
                let refused = tokens::exchange_code(&services, &thief, Some(&code), Some(&own_redirect), None).await;
                assert_eq!(
                    token_outcome(&refused),
                    "invalid_grant: the code was issued to another client",
                    "case: {}",
                    case.name
                );
            }
            BeforeExchange::SessionsEnded => sessions::sign_out_other_sessions(&services, &session).await.unwrap(),
        }
        services.clock.advance(case.wait);
        let presented = match case.code {
            Presented::TheCode => Some(code.clone()),
            Presented::Nothing => None,
            Presented::Text(text) => Some(text.to_owned()),
        };
        let result = tokens::exchange_code(
            &services,
            &credentials(&clients, case.client, case.secret),
            presented.as_deref(),
            case.redirect_uri,
            case.verifier,
        )
        .await;
        assert_eq!(token_outcome(&result), case.expect, "case: {}", case.name);
        if let Ok(issued) = &result {
            assert!(issued.refresh_token.is_some(), "case {}: offline_access gives a refresh token", case.name);
            assert_eq!(issued.scope, "openid profile offline_access", "case: {}", case.name);
            let claims = verified_claims(&services, issued.id_token.as_deref().expect("an ID token")).await;
            assert_eq!(claims["aud"], case.issued_to, "case: {}", case.name);
            assert_eq!(claims["nonce"], NONCE, "case: {}", case.name);
            assert_eq!(claims["preferred_username"], "bob", "case: {}", case.name);
            assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]), "case: {}", case.name);
            assert!(
                tokens::userinfo(&services, &issued.access_token).await.unwrap().is_some(),
                "case {}: the access token does not work",
                case.name
            );
        }
        if let Some(first) = first {
            // A code used twice: what its first use gave is revoked too.
            assert_eq!(
                tokens::userinfo(&services, &first.access_token).await.unwrap(),
                None,
                "case {}: the first access token still works",
                case.name
            );
            let refreshed = tokens::refresh(&services, &own, first.refresh_token.as_deref()).await;
            assert_eq!(
                token_outcome(&refreshed),
                "invalid_grant: unknown or expired refresh token",
                "case {}: the first refresh token",
                case.name
            );
        }
    }
}

/// The claims of an ID token this server signed (its signature checked).
async fn verified_claims(services: &Services, id_token: &str) -> serde_json::Value {
    let keys = keys::all(services).await.unwrap();
    keys.iter().find_map(|key| key.verified_claims(id_token)).expect("an ID token signed by one of our keys")
}

// ---------------------------------------------------------------------------------------------
// The refresh grant
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum BeforeRefresh {
    Nothing,
    /// The original token was used once (rotated).
    Rotated,
    /// Rotated, then the original token presented again (a reuse).
    RotatedThenReused,
    /// Another client presented the token (and was refused).
    PresentedByOtherClient,
    /// The account ended its other sessions.
    SessionsEnded,
}

#[derive(Clone, Copy)]
enum Token {
    Original,
    /// The token the rotation gave.
    Rotated,
    Nothing,
    Text(&'static str),
}

struct RefreshCase {
    name: &'static str,
    before: BeforeRefresh,
    wait: i64,
    client: &'static str,
    secret: Secret,
    token: Token,
    expect: &'static str,
}

#[tokio::test]
async fn a_refresh_token_rotates_and_a_reused_one_revokes_its_grant() {
    let base = RefreshCase {
        name: "",
        before: BeforeRefresh::Nothing,
        wait: 0,
        client: "app",
        secret: Secret::Right,
        token: Token::Original,
        expect: "issued",
    };
    let cases = [
        RefreshCase { name: "a fresh refresh token", ..base },
        RefreshCase {
            name: "the old token after its rotation",
            before: BeforeRefresh::Rotated,
            expect: "invalid_grant: the refresh token was already used",
            ..base
        },
        RefreshCase {
            name: "the token the rotation gave",
            before: BeforeRefresh::Rotated,
            token: Token::Rotated,
            ..base
        },
        RefreshCase {
            name: "the rotated token after the old one was reused",
            before: BeforeRefresh::RotatedThenReused,
            token: Token::Rotated,
            expect: "invalid_grant: unknown or expired refresh token",
            ..base
        },
        RefreshCase {
            name: "the old token a third time",
            before: BeforeRefresh::RotatedThenReused,
            expect: "invalid_grant: unknown or expired refresh token",
            ..base
        },
        RefreshCase {
            name: "another client's token",
            client: "other",
            expect: "invalid_grant: the refresh token was issued to another client",
            ..base
        },
        RefreshCase {
            name: "the token by its own client after another client tried it",
            before: BeforeRefresh::PresentedByOtherClient,
            ..base
        },
        RefreshCase {
            name: "a wrong secret",
            secret: Secret::Wrong,
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        RefreshCase {
            name: "no secret",
            secret: Secret::None,
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        RefreshCase {
            name: "an unknown client",
            client: "nobody",
            expect: "invalid_client: unknown client or wrong secret",
            ..base
        },
        RefreshCase {
            name: "no token",
            token: Token::Nothing,
            expect: "invalid_request: refresh_token is missing",
            ..base
        },
        RefreshCase {
            name: "a made-up token",
            token: Token::Text("0123456789abcdef"),
            expect: "invalid_grant: unknown or expired refresh token",
            ..base
        },
        RefreshCase { name: "a second before 30 days", wait: REFRESH_TOKEN_SECONDS - 1, ..base },
        RefreshCase {
            name: "30 days later: expired",
            wait: REFRESH_TOKEN_SECONDS,
            expect: "invalid_grant: unknown or expired refresh token",
            ..base
        },
        RefreshCase {
            name: "after the account ended its other sessions",
            before: BeforeRefresh::SessionsEnded,
            expect: "invalid_grant: unknown or expired refresh token",
            ..base
        },
    ];
    for case in &cases {
        let services = support::services(Clock::manual(START)).await;
        let clients = add_clients(&services).await;
        let bob = support::register_with_two_factor(&services, "bob").await;
        let session = support::signed_in_with_code(&services, &bob).await;
        let code = code_for(&services, &session, "app", false, "openid profile offline_access").await;
        let own = credentials(&clients, "app", Secret::Right);
        let issued = tokens::exchange_code(&services, &own, Some(&code), Some(REDIRECT_URI), None).await.unwrap();
        let original = issued.refresh_token.clone().expect("offline_access gives a refresh token");
        // Asked once: on SQLite the live access token is now kept in memory as well.
        assert!(tokens::userinfo(&services, &issued.access_token).await.unwrap().is_some(), "case: {}", case.name);
        let mut rotated = None;
        match case.before {
            BeforeRefresh::Nothing => {}
            BeforeRefresh::Rotated | BeforeRefresh::RotatedThenReused => {
                let next = tokens::refresh(&services, &own, Some(&original)).await.expect("the first rotation");
                rotated = next.refresh_token;
                if case.before == BeforeRefresh::RotatedThenReused {
                    let reused = tokens::refresh(&services, &own, Some(&original)).await;
                    assert_eq!(
                        token_outcome(&reused),
                        "invalid_grant: the refresh token was already used",
                        "case: {}",
                        case.name
                    );
                }
            }
            BeforeRefresh::PresentedByOtherClient => {
                let thief = credentials(&clients, "other", Secret::Right);
                let refused = tokens::refresh(&services, &thief, Some(&original)).await;
                assert_eq!(
                    token_outcome(&refused),
                    "invalid_grant: the refresh token was issued to another client",
                    "case: {}",
                    case.name
                );
            }
            BeforeRefresh::SessionsEnded => sessions::sign_out_other_sessions(&services, &session).await.unwrap(),
        }
        services.clock.advance(case.wait);
        let presented = match case.token {
            Token::Original => Some(original.clone()),
            Token::Rotated => Some(rotated.clone().expect("a rotated token")),
            Token::Nothing => None,
            Token::Text(text) => Some(text.to_owned()),
        };
        let result =
            tokens::refresh(&services, &credentials(&clients, case.client, case.secret), presented.as_deref()).await;
        assert_eq!(token_outcome(&result), case.expect, "case: {}", case.name);
        if let Ok(renewed) = &result {
            let new = renewed.refresh_token.as_deref().expect("a new refresh token");
            assert_ne!(Some(new), presented.as_deref(), "case {}: the refresh token did not rotate", case.name);
            assert_ne!(renewed.access_token, issued.access_token, "case: {}", case.name);
            assert!(tokens::userinfo(&services, &renewed.access_token).await.unwrap().is_some(), "case: {}", case.name);
            let claims = verified_claims(&services, renewed.id_token.as_deref().expect("an ID token")).await;
            assert_eq!(claims["aud"], "app", "case: {}", case.name);
        }
        if case.before == BeforeRefresh::RotatedThenReused {
            // The reuse revoked the whole grant: the access token of the code too.
            assert_eq!(tokens::userinfo(&services, &issued.access_token).await.unwrap(), None, "case: {}", case.name);
        }
    }
}

#[tokio::test]
async fn without_offline_access_no_refresh_token_is_given() {
    let services = support::services(Clock::manual(START)).await;
    let clients = add_clients(&services).await;
    let bob = support::register_with_two_factor(&services, "bob").await;
    let session = support::signed_in_with_code(&services, &bob).await;
    for (name, scope, refresh) in [
        ("openid alone", "openid", false),
        ("openid profile email", "openid profile email", false),
        ("with offline_access", "openid offline_access", true),
    ] {
        let code = code_for(&services, &session, "app", false, scope).await;
        let own = credentials(&clients, "app", Secret::Right);
        let issued = tokens::exchange_code(&services, &own, Some(&code), Some(REDIRECT_URI), None).await.unwrap();
        assert_eq!(issued.refresh_token.is_some(), refresh, "case: {name}");
    }
}

// ---------------------------------------------------------------------------------------------
// What an administrator does with an account's sessions and apps (the admin console)
// ---------------------------------------------------------------------------------------------

/// A row of `sessions` as the server's session store writes it.
async fn stored_session(services: &Services, key: &str, user_id: Option<i64>, epoch: i64, expires_at: i64) {
    sqlx::query(
        "INSERT INTO sessions (id_hash, data, created_at, expires_at, user_id, session_epoch, user_agent,
                               client_address, signed_in_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/128.0', '192.0.2.1', $3, $3)",
    )
    .bind(key)
    .bind(vec![0u8])
    .bind(START)
    .bind(expires_at)
    .bind(user_id)
    .bind(epoch)
    .execute(&services.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_accounts_sessions_and_apps_are_listed_and_end_all_at_once() {
    let services = support::services(Clock::manual(START)).await;
    let clients = add_clients(&services).await;
    let (bob, session) = support::register(&services, "bob").await;
    let code = code_for(&services, &session, "app", false, "openid offline_access").await;
    let own = credentials(&clients, "app", Secret::Right);
    let issued = tokens::exchange_code(&services, &own, Some(&code), Some(REDIRECT_URI), None).await.unwrap();
    let names: Vec<String> = apps::apps_of(&services, bob).await.unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["The app app"]);

    stored_session(&services, "signed-in", Some(bob), 0, START + 600).await;
    stored_session(&services, "half-way-in", None, 0, START + 600).await;
    stored_session(&services, "older-epoch", Some(bob), -1, START + 600).await;
    stored_session(&services, "expired", Some(bob), 0, START).await;
    let listed = sessions::sessions_of(&services, bob).await.unwrap();
    assert_eq!(listed.len(), 1, "signed in, at the account's epoch, not expired: {listed:?}");
    assert_eq!(listed[0].browser, "Firefox on Windows");
    assert_eq!(listed[0].client_address.as_deref(), Some("192.0.2.1"));
    assert!(!listed[0].this_session, "an administrator's list has no \"this session\"");

    assert!(sessions::end_all_sessions(&services, bob, Some("198.51.100.7")).await.unwrap());
    assert!(sessions::sessions_of(&services, bob).await.unwrap().is_empty(), "every session is of an older epoch");
    assert!(apps::apps_of(&services, bob).await.unwrap().is_empty(), "no app holds anything");
    assert_eq!(tokens::userinfo(&services, &issued.access_token).await.unwrap(), None);
    let refreshed = tokens::refresh(&services, &own, issued.refresh_token.as_deref()).await;
    assert_eq!(token_outcome(&refreshed), "invalid_grant: unknown or expired refresh token");
    assert!(matches!(Visitor::of(&services, &session).await.unwrap(), Visitor::Anonymous), "signed out too");
    assert!(!sessions::end_all_sessions(&services, bob + 1000, None).await.unwrap(), "no such account");
}
