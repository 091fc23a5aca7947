//! Apps open only to some groups, and a client's secret rotated (`docs/contract/oidc.md`, "Apps
//! open to some groups" and "Changing an app"): the operator's commands run beside the running
//! server, as another process, and the relying party is the `openidconnect` crate or plain form
//! posts to the token endpoint.

use crate::helpers::{operator_output, TestApp};
use crate::openid_connect::{
    location, provider, query_param, redirect_param, register, rp_http, sign_in_through_portal, PASSWORD, REDIRECT,
};
use domain::openid::store::clients::ClientPolicy;
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, RedirectUrl, Scope,
    TokenResponse,
};
use reqwest::{Client, StatusCode};

/// `server oidc … ARGS` beside the running server; what it printed (it must succeed).
fn operator_says(app: &TestApp, args: &[&str]) -> String {
    let output = operator_output(&app.database_url, args, "");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The secret a command printed once.
fn secret_in(printed: &str) -> String {
    printed.lines().find_map(|l| l.strip_prefix("client_secret: ")).expect("the secret, once").to_owned()
}

/// An account made and signed in on a browser of its own, in `groups` (comma-separated).
async fn signed_in(app: &TestApp, name: &str, groups: &str) -> Client {
    let browser = app.new_client();
    app.register(&browser, name, PASSWORD).await;
    app.operator(&["user", "groups", name, groups]);
    browser
}

/// Where `browser`'s authorization request for the confidential client `wiki` leads (state `s`).
async fn authorize_wiki(app: &TestApp, browser: &Client, scope: &str) -> String {
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope={scope}&state=s",
        redirect_param()
    ));
    location(&browser.get(url).send().await.unwrap())
}

/// `wiki`'s token request with `client_secret_post`: the status and the JSON answer.
async fn token(app: &TestApp, secret: &str, grant: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    let mut form = vec![("client_id", "wiki"), ("client_secret", secret)];
    form.extend_from_slice(grant);
    let r = rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn exchange(app: &TestApp, secret: &str, code: &str) -> (StatusCode, serde_json::Value) {
    token(app, secret, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]).await
}

async fn refresh(app: &TestApp, secret: &str, refresh_token: &str) -> (StatusCode, serde_json::Value) {
    token(app, secret, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

/// The contract's refusal, back at the app's redirect URI with the state.
fn assert_denied(back: &str, state: &str, description: &str) {
    assert!(back.starts_with(REDIRECT), "back to the app: {back}");
    assert_eq!(query_param(back, "error").as_deref(), Some("access_denied"), "{back}");
    assert_eq!(query_param(back, "state").as_deref(), Some(state), "{back}");
    assert_eq!(query_param(back, "error_description").as_deref(), Some(description), "{back}");
    assert_eq!(query_param(back, "code"), None, "{back}");
}

#[tokio::test]
async fn an_app_open_to_a_group_denies_others_and_a_member_taken_out_loses_it_at_the_next_refresh() {
    let (app, _folder) = provider().await;
    let added = operator_says(
        &app,
        &[
            "oidc",
            "client",
            "add",
            "wiki",
            "--name",
            "Example Wiki",
            "--policy",
            "one_factor",
            "--redirect-uri",
            REDIRECT,
            "--allow-insecure-http",
            "--groups",
            "wiki-users",
        ],
    );
    let http = rp_http();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
        .await
        .expect("discovery");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("wiki".into()),
        Some(ClientSecret::new(secret_in(&added))),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let request = || {
        rp.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("groups".into()))
            .add_scope(Scope::new("offline_access".into()))
            .url()
    };
    let refusal = "Example Wiki is open only to members of: wiki-users";

    // Alice is in another group: refused where the sign-in she just completed comes back to the
    // authorization request, and again once signed in.
    drop(signed_in(&app, "alice", "staff").await);
    let alice = app.new_client();
    let (url, state, _) = request();
    let back = sign_in_through_portal(&app, &alice, url.as_str(), None).await;
    assert_denied(&back, state.secret(), refusal);
    let (url, state, _) = request();
    assert_denied(&location(&alice.get(url.as_str()).send().await.unwrap()), state.secret(), refusal);

    // Bob is a member: a code, verified tokens, a refresh.
    let bob = signed_in(&app, "bob", "staff,wiki-users").await;
    let (url, state, nonce) = request();
    let back = location(&bob.get(url.as_str()).send().await.unwrap());
    assert_eq!(query_param(&back, "state").as_deref(), Some(state.secret().as_str()), "{back}");
    let code = query_param(&back, "code").expect("a code for a member");
    let tokens =
        rp.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&http).await.expect("the exchange");
    tokens.id_token().expect("an ID token").claims(&rp.id_token_verifier(), &nonce).expect("a valid ID token");
    let refreshed = rp
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("a member refreshes");

    // Taken out of the group by the operator: the next refresh fails, and what the grant gave
    // stops working with it; the next authorization request is refused.
    app.operator(&["user", "groups", "bob", "staff"]);
    let after = rp
        .exchange_refresh_token(refreshed.refresh_token().expect("a new refresh token"))
        .unwrap()
        .request_async(&http)
        .await;
    assert!(format!("{after:?}").contains("invalid_grant"), "{after:?}");
    let info: Result<CoreUserInfoClaims, _> =
        rp.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await;
    assert!(info.is_err(), "the grant is revoked: {info:?}");
    let (url, state, _) = request();
    assert_denied(&location(&bob.get(url.as_str()).send().await.unwrap()), state.secret(), refusal);
}

#[tokio::test]
async fn an_app_open_to_everyone_admits_every_account_and_clearing_its_groups_opens_it_again() {
    let (app, _folder) = provider().await;
    let secret = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    let alice = signed_in(&app, "alice", "").await;
    let bob = signed_in(&app, "bob", "staff").await;
    for browser in [&alice, &bob] {
        let back = authorize_wiki(&app, browser, "openid").await;
        let code = query_param(&back, "code").expect("no groups: open to everyone");
        let (status, body) = exchange(&app, &secret, &code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // Each change takes effect at the next authorization request.
    operator_says(&app, &["oidc", "client", "groups", "wiki", "staff"]);
    assert_denied(&authorize_wiki(&app, &alice, "openid").await, "s", "The wiki is open only to members of: staff");
    assert!(query_param(&authorize_wiki(&app, &bob, "openid").await, "code").is_some(), "a member");
    operator_says(&app, &["oidc", "client", "groups", "wiki", ""]);
    let back = authorize_wiki(&app, &alice, "openid").await;
    assert!(query_param(&back, "code").is_some(), "open to everyone again: {back}");
}

#[tokio::test]
async fn a_rotated_secret_is_refused_at_once_and_the_new_one_works() {
    let (app, _folder) = provider().await;
    let old = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    let alice = signed_in(&app, "alice", "").await;
    let code = query_param(&authorize_wiki(&app, &alice, "openid%20offline_access").await, "code").unwrap();
    // The server now keeps the registration with the old secret (`KeptClients`).
    let (status, tokens) = exchange(&app, &old, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token").to_owned();
    let issued_before = query_param(&authorize_wiki(&app, &alice, "openid").await, "code").unwrap();

    let printed = operator_says(&app, &["oidc", "client", "rotate-secret", "wiki"]);
    let new = secret_in(&printed);
    assert_ne!(new, old);

    let (status, body) = exchange(&app, &old, &issued_before).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{body}");
    let (status, body) = refresh(&app, &old, &refresh_token).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{body}");

    // The new secret works, for a code issued before the rotation and for the tokens it gave.
    let (status, body) = exchange(&app, &new, &issued_before).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = refresh(&app, &new, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
