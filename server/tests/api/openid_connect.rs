//! The OpenID Connect provider (`docs/contract/oidc.md`), driven by an independent
//! relying party: the `openidconnect` crate does the discovery, builds the authorization request
//! with PKCE, exchanges the code, validates the ID token against the JWKS, asks userinfo and
//! refreshes. The browser's part (sign-in at the portal) is a cookie-keeping client.

use crate::helpers::{fresh_database_url, spawn_app_with, test_config, TestApp};
use domain::openid::store::clients::{self, ClientPolicy, NewClient};
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use reqwest::{header, Client, StatusCode};

pub(crate) const REDIRECT: &str = "http://app.example.test/callback";
pub(crate) const PASSWORD: &str = "correct horse battery";
/// RFC 7636 Appendix B: a PKCE verifier and its S256 challenge.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// `REDIRECT` as a query parameter's value.
pub(crate) fn redirect_param() -> String {
    form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect()
}

/// The server with `PUBLIC_URL` its own address (the issuer the relying party checks).
pub(crate) async fn provider() -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.leptos.site_addr = ([127, 0, 0, 1], port).into();
    config.settings.public_url = format!("http://127.0.0.1:{port}");
    (spawn_app_with(config).await, folder)
}

/// Registers a client as the operator's command does; returns its secret.
/// The provider with the public, one-factor client `spa`, and `alice` registered and signed in
/// on the returned browser.
pub(crate) async fn alice_with_spa() -> (TestApp, tempfile::TempDir, Client) {
    let (app, folder) = provider().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    (app, folder, browser)
}

pub(crate) async fn register(app: &TestApp, client_id: &str, public: bool, policy: ClientPolicy) -> Option<String> {
    let client = NewClient {
        client_id: client_id.into(),
        name: Some("The wiki".into()),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec!["http://app.example.test/bye".into()],
        public,
        policy,
        allowed_groups: vec![],
        allow_insecure_http: true,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    };
    clients::add(&app.db, &client, app.clock.now()).await.unwrap()
}

/// The relying party's HTTP client: no redirects (as the crate asks, against SSRF).
pub(crate) fn rp_http() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The browser's part: follows the provider's redirects through the portal's sign-in (password,
/// then the code when 2FA is on) until it is sent back to the app; returns that URL.
pub(crate) async fn sign_in_through_portal(
    app: &TestApp,
    browser: &Client,
    authorize_url: &str,
    totp: Option<&str>,
) -> String {
    let r = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sent to the portal first");
    let login = location(&r);
    assert!(login.starts_with("/login?rd=%2Foidc%2Fauthorize%3F"), "{login}");
    let rd = query_param(&login, "rd").unwrap();
    let r = app.form_post(browser, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", &rd)]).await;
    let mut next = location(&r);
    if let Some(secret) = totp {
        assert!(next.starts_with("/login/2fa?rd="), "then the code step: {next}");
        app.advance(30);
        let r = app.form_post(browser, "login/2fa", &[("otp", &app.code(secret, 0)), ("rd", &rd)]).await;
        next = location(&r);
    }
    assert_eq!(next, rd, "the portal returns to the authorization request");
    let r = browser.get(app.url(&next)).send().await.unwrap();
    assert!(r.status().is_redirection());
    location(&r)
}

#[tokio::test]
async fn the_code_flow_with_pkce_gives_a_verified_id_token_userinfo_and_rotating_refresh_tokens() {
    let (app, _folder) = provider().await;
    let secret = register(&app, "wiki", false, ClientPolicy::TwoFactor).await.expect("a confidential client's secret");
    let (totp, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let http = rp_http();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
        .await
        .expect("discovery");
    let rp =
        CoreClient::from_provider_metadata(metadata, ClientId::new("wiki".into()), Some(ClientSecret::new(secret)))
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("groups".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = app.new_client();
    let back = sign_in_through_portal(&app, &browser, url.as_str(), Some(&totp)).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some(csrf.secret().as_str()), "state echoed");
    let code = query_param(&back, "code").unwrap();

    let tokens = rp
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims =
        id_token.claims(&rp.id_token_verifier(), &nonce).expect("signed by a JWKS key, for us, with our nonce");
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("alice"));
    assert_ne!(claims.subject().as_str(), "alice", "sub is not the username");
    let amr: Vec<String> = claims.auth_method_refs().unwrap().iter().map(|a| a.as_str().to_owned()).collect();
    assert_eq!(amr, ["pwd", "otp", "mfa"], "two factors, and the app can see it");
    if let Some(expected) = claims.access_token_hash() {
        let actual = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&rp.id_token_verifier()).unwrap(),
        )
        .unwrap();
        assert_eq!(&actual, expected);
    }

    let info: CoreUserInfoClaims =
        rp.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.expect("userinfo");
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("alice"));

    // Refresh tokens rotate; the old one used again revokes the whole family.
    let first_refresh = tokens.refresh_token().expect("offline_access grants a refresh token").clone();
    let refreshed = rp.exchange_refresh_token(&first_refresh).unwrap().request_async(&http).await.expect("refresh");
    let second_refresh = refreshed.refresh_token().expect("a new refresh token").clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    let reuse = rp.exchange_refresh_token(&first_refresh).unwrap().request_async(&http).await;
    assert!(format!("{reuse:?}").contains("invalid_grant"), "{reuse:?}");
    let second = RefreshToken::new(second_refresh.secret().clone());
    let after = rp.exchange_refresh_token(&second).unwrap().request_async(&http).await;
    assert!(after.is_err(), "the reuse revoked the family");
    let revoked: Result<CoreUserInfoClaims, _> =
        rp.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await;
    assert!(revoked.is_err(), "the family's access tokens too");

    // A code is single-use: a second use is refused, and what the first gave is revoked.
    let replay = rp.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&http).await;
    assert!(format!("{replay:?}").contains("invalid_grant"), "{replay:?}");
}

/// The errors of the contract: an error page for an unknown client or redirect URI, errors
/// back to the app for the rest; the token endpoint's RFC 6749 errors.
#[tokio::test]
async fn bad_requests_get_the_contract_errors() {
    let (app, _folder) = provider().await;
    let secret = register(&app, "wiki", false, ClientPolicy::TwoFactor).await.unwrap();
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let browser = app.new_client();
    let authorize = |query: &str| {
        let url = app.url(&format!("/oidc/authorize?{query}"));
        let browser = browser.clone();
        async move { browser.get(url).send().await.unwrap() }
    };
    let redirect = redirect_param();
    let challenge = CHALLENGE;
    for query in [
        format!("response_type=code&client_id=nobody&redirect_uri={redirect}&scope=openid&state=s"),
        "response_type=code&client_id=wiki&redirect_uri=http%3A%2F%2Fevil.test%2Fcb&scope=openid&state=s".to_owned(),
        format!("response_type=code&client_id=wiki&redirect_uri={redirect}%2F&scope=openid&state=s"),
    ] {
        let r = authorize(&query).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}: an error page");
        assert_eq!(location(&r), "", "{query}: never a redirect");
    }
    for (query, error) in [
        (format!("response_type=code&client_id=wiki&redirect_uri={redirect}&scope=profile&state=s"), "invalid_scope"),
        (format!("response_type=token&client_id=wiki&redirect_uri={redirect}&scope=openid&state=s"), "unsupported_response_type"),
        (format!("response_type=code&client_id=spa&redirect_uri={redirect}&scope=openid&state=s"), "invalid_request"),
        (
            format!("response_type=code&client_id=spa&redirect_uri={redirect}&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=plain"),
            "invalid_request",
        ),
        (format!("response_type=code&client_id=wiki&redirect_uri={redirect}&scope=openid&state=s&prompt=none"), "login_required"),
        (format!("client_id=wiki&redirect_uri={redirect}&scope=openid&state=s"), "invalid_request"),
        (format!("response_type=code&client_id=wiki&redirect_uri={redirect}&scope=openid&state=s&prompt=none%20login"), "invalid_request"),
    ] {
        let r = authorize(&query).await;
        let back = location(&r);
        assert!(back.starts_with(REDIRECT), "{query}: back to the app: {back}");
        assert_eq!(query_param(&back, "error").as_deref(), Some(error), "{query}");
        assert_eq!(query_param(&back, "state").as_deref(), Some("s"), "{query}");
    }

    // A two_factor app and an account with 2FA off: through the setup first.
    app.register(&browser, "alice", PASSWORD).await;
    let r = authorize(&format!("response_type=code&client_id=wiki&redirect_uri={redirect}&scope=openid&state=s")).await;
    assert!(location(&r).starts_with("/account/2fa/setup?rd=%2Foidc%2Fauthorize%3F"), "{}", location(&r));
    // Silently, that session is not good enough for the app: the contract's `login_required`.
    let r = authorize(&format!(
        "response_type=code&client_id=wiki&redirect_uri={redirect}&scope=openid&state=s&prompt=none"
    ))
    .await;
    assert_eq!(query_param(&location(&r), "error").as_deref(), Some("login_required"), "{}", location(&r));
    // A one_factor public app with PKCE: a code at once, `amr` ["pwd"] (checked at the token).
    let r = authorize(&format!(
        "response_type=code&client_id=spa&redirect_uri={redirect}&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256"
    ))
    .await;
    let code = query_param(&location(&r), "code").expect("a code");

    let token = |form: Vec<(&'static str, String)>| {
        let url = app.url("/oidc/token");
        async move { rp_http().post(url).form(&form).send().await.unwrap() }
    };
    let verifier = VERIFIER;
    let wrong = token(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", "spa".into()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT.into()),
        ("code_verifier", "x".repeat(43)),
    ])
    .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(wrong.headers()[header::PRAGMA], "no-cache", "RFC 6749 §5.1");
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "a wrong verifier");
    let r = token(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", "wiki".into()),
        ("client_secret", "not-the-secret".into()),
        ("code", "whatever".into()),
        ("redirect_uri", REDIRECT.into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_client");
    let r =
        token(vec![("grant_type", "password".into()), ("client_id", "wiki".into()), ("client_secret", secret)]).await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "unsupported_grant_type");
    let r = token(vec![("code", "whatever".into()), ("client_id", "spa".into())]).await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_request", "no grant_type");

    // The code was spent by the wrong verifier's attempt: single use, whatever the outcome.
    let again = token(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", "spa".into()),
        ("code", code),
        ("redirect_uri", REDIRECT.into()),
        ("code_verifier", verifier.into()),
    ])
    .await;
    assert_eq!(again.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");

    let r = rp_http().get(app.url("/oidc/userinfo")).bearer_auth("nonsense").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer error=\"invalid_token\"");
}

/// A code lives 60 s; a fresh one with the right verifier works, and `amr` says "pwd" alone.
#[tokio::test]
async fn a_code_expires_after_a_minute_and_ending_other_sessions_revokes_tokens() {
    let (app, _folder, browser) = alice_with_spa().await;
    let redirect = redirect_param();
    let challenge = CHALLENGE;
    let verifier = VERIFIER;
    let code = || async {
        let url = app.url(&format!(
            "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={redirect}&scope=openid%20profile&code_challenge={challenge}&code_challenge_method=S256"
        ));
        query_param(&location(&browser.get(url).send().await.unwrap()), "code").expect("a code")
    };
    let token_url = app.url("/oidc/token");
    let exchange = |code: String| {
        let token_url = token_url.clone();
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("client_id", "spa"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ];
            let r = rp_http()
                .post(token_url)
                .header(header::ORIGIN, "http://app.example.test")
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "for other origins by design");
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let stale = code().await;
    app.advance(61);
    let (status, body) = exchange(stale).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "expired");
    let (status, body) = exchange(code().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_part(body["id_token"].as_str().unwrap(), 1);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let userinfo = || rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send();
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::OK);
    // "End every other session" from a second, fresh sign-in revokes what the apps hold.
    let other = app.new_client();
    app.login(&other, "alice", PASSWORD).await;
    assert_eq!(app.end_other_sessions(&other).await.status(), StatusCode::OK);
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

/// `prompt=login` and a `max_age` shorter than the sign-in's age send the visitor through the
/// portal's sign-in form again before a code is issued; after the fresh sign-in the flow goes on
/// (no loop), and the way back gives one code only.
#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in_before_a_code() {
    let (app, _folder, browser) = alice_with_spa().await;
    let redirect = redirect_param();
    let challenge = CHALLENGE;
    let base = format!(
        "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={redirect}&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256"
    );
    let get = |path: String| {
        let browser = browser.clone();
        let url = app.url(&path);
        async move { location(&browser.get(url).send().await.unwrap()) }
    };
    assert!(get(base.clone()).await.starts_with(REDIRECT), "signed in: a code at once");
    for extra in ["&prompt=login", "&max_age=60", "&max_age=0"] {
        app.advance(120);
        let to_login = get(format!("{base}{extra}")).await;
        assert!(to_login.starts_with("/login?rd="), "{extra}: a fresh sign-in first: {to_login}");
        let rd = query_param(&to_login, "rd").unwrap();
        assert!(!rd.contains("prompt=") && !rd.contains("max_age="), "the way back does not ask again: {rd}");
        assert!(get(rd.clone()).await.starts_with("/login?rd="), "{extra}: no code before the fresh sign-in");
        let r = app.form_post(&browser, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", &rd)]).await;
        assert_eq!(location(&r), rd);
        // Signing in took a few seconds: longer than max_age, which must not ask once more.
        app.advance(5);
        assert!(get(rd.clone()).await.starts_with(REDIRECT), "{extra}: then the code");
        assert!(get(rd).await.starts_with("/login?rd="), "{extra}: one code per fresh sign-in");
    }
}

/// An app (or any page) sending the browser to `prompt=login` does not end the session: it stays,
/// for the portal and the apps, until a fresh sign-in completes; the sign-in form is shown though
/// the visitor is signed in; and a fresh sign-in of a two-factor account needs its code too.
#[tokio::test]
async fn prompt_login_keeps_the_session_until_the_fresh_sign_in_completes() {
    let (app, _folder) = provider().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let (totp, browser) = alice_signed_in_with_two_factors(&app).await;
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid&prompt=login&code_challenge={CHALLENGE}&code_challenge_method=S256",
        redirect_param()
    ));
    let to_login = location(&browser.get(url).send().await.unwrap());
    assert!(to_login.starts_with("/login?rd="), "{to_login}");
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK, "still signed in");
    let form = browser.get(app.url(&to_login)).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK, "the sign-in form, not a redirect to the way back");
    let rd = query_param(&to_login, "rd").unwrap();

    let r = app.form_post(&browser, "login", &[("username", "alice"), ("password", PASSWORD), ("rd", &rd)]).await;
    assert!(location(&r).starts_with("/login/2fa?rd="), "{}", location(&r));
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK, "the password step does not end the session either");
    let code_page = browser.get(app.url(&location(&r))).send().await.unwrap();
    assert_eq!(code_page.status(), StatusCode::OK, "the code page, not a redirect: {}", location(&code_page));
    let back = location(&browser.get(app.url(&rd)).send().await.unwrap());
    assert!(!back.starts_with(REDIRECT), "the password alone is not the fresh sign-in: {back}");
    app.advance(30);
    let r = app.form_post(&browser, "login/2fa", &[("otp", &app.code(&totp, 0)), ("rd", &rd)]).await;
    assert_eq!(location(&r), rd);
    let back = location(&browser.get(app.url(&rd)).send().await.unwrap());
    assert!(back.starts_with(REDIRECT) && query_param(&back, "code").is_some(), "{back}");
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
}

/// The confirmation page's form, submitted as the browser would from the page (same origin).
async fn confirm_sign_out(app: &TestApp, browser: &Client, page: &str) -> reqwest::Response {
    let unescape =
        |text: &str| text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let form = page.split("<form ").nth(1).expect("a form on the page");
    assert!(form.starts_with("method=\"post\""), "{form}");
    let action = form.split("action=\"").nth(1).unwrap().split('"').next().unwrap();
    let fields: Vec<(String, String)> = form
        .split("<input ")
        .skip(1)
        .map(|input| {
            let attribute =
                |name: &str| unescape(input.split(&format!("{name}=\"")).nth(1).unwrap().split('"').next().unwrap());
            (attribute("name"), attribute("value"))
        })
        .collect();
    browser.post(app.url(action)).header(header::ORIGIN, app.address.as_str()).form(&fields).send().await.unwrap()
}

/// A sign-out asked for by a link or a redirect from anywhere, without an `id_token_hint` this
/// provider signed for the signed-in account, ends nothing: a page asks the person, whose answer
/// (a same-origin form post; refused from another site) signs out and goes back to the app's
/// registered URI with its `state`. A valid hint signs out at once.
#[tokio::test]
async fn end_session_asks_the_person_unless_the_app_proves_who_is_signed_in() {
    let (app, _folder, browser) = alice_with_spa().await;
    let bye = form_urlencoded::byte_serialize(b"http://app.example.test/bye").collect::<String>();
    let logout = format!("/oidc/logout?client_id=spa&post_logout_redirect_uri={bye}&state=see%20you");
    let (status, alice_tokens) = exchange(&app, &code_for_spa(&app, &browser).await).await;
    assert_eq!(status, StatusCode::OK, "{alice_tokens}");
    let alice_hint = alice_tokens["id_token"].as_str().unwrap().to_owned();
    let bob = app.new_client();
    app.register(&bob, "bob", PASSWORD).await;
    let (status, bob_tokens) = exchange(&app, &code_for_spa(&app, &bob).await).await;
    assert_eq!(status, StatusCode::OK, "{bob_tokens}");
    let bob_hint = bob_tokens["id_token"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = alice_hint.split('.').collect();
    let mut claims = jwt_part(&alice_hint, 1);
    claims["iat"] = serde_json::json!(0);
    let forged_claims = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims.to_string());
    let altered = format!("{}.{forged_claims}.{}", parts[0], parts[2]);

    for hint in [None, Some(bob_hint.as_str()), Some(altered.as_str()), Some("not.a.token")] {
        let url = match hint {
            Some(hint) => format!("{logout}&id_token_hint={hint}"),
            None => logout.clone(),
        };
        let r = browser.get(app.url(&url)).send().await.unwrap();
        assert_eq!((r.status(), location(&r)), (StatusCode::OK, String::new()), "{hint:?}: a page, no redirect");
        let page = r.text().await.unwrap();
        assert!(page.contains("Sign out?") && page.contains("method=\"post\""), "{page}");
        assert_eq!(app.me(&browser).await.status(), StatusCode::OK, "{hint:?}: still signed in");
    }
    // A valid hint for another client than the one named: asks too.
    let r = browser
        .get(app.url(&format!("/oidc/logout?client_id=wiki&id_token_hint={alice_hint}&post_logout_redirect_uri={bye}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);

    let page = browser.get(app.url(&logout)).send().await.unwrap().text().await.unwrap();
    let from_elsewhere = browser
        .post(app.url("/oidc/logout/confirm"))
        .header(header::ORIGIN, "http://evil.test")
        .form(&[("client_id", "spa")])
        .send()
        .await
        .unwrap();
    assert_eq!(from_elsewhere.status(), StatusCode::FORBIDDEN, "the answer only from this site");
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    let r = confirm_sign_out(&app, &browser, &page).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "http://app.example.test/bye?state=see%20you", "back to the app, with its state");
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED, "signed out once confirmed");

    // An unregistered URI: after the answer, a signed-out page instead.
    app.login(&browser, "alice", PASSWORD).await;
    let page = browser
        .get(app.url("/oidc/logout?client_id=spa&post_logout_redirect_uri=https%3A%2F%2Fevil.test%2F"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = confirm_sign_out(&app, &browser, &page).await;
    assert_eq!((r.status(), location(&r)), (StatusCode::OK, String::new()), "an unregistered URI: a page");
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);

    // The app proves who is signed in: at once.
    app.login(&browser, "alice", PASSWORD).await;
    let r = browser.get(app.url(&format!("{logout}&id_token_hint={alice_hint}"))).send().await.unwrap();
    assert_eq!(location(&r), "http://app.example.test/bye?state=see%20you");
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED, "signed out at once");
}

/// The authorization and end-session endpoints take `POST` as well as `GET` (OpenID Connect
/// Core §3.1.2.1, RP-Initiated Logout §2), posted from the app's own origin: the same request.
#[tokio::test]
async fn the_browser_endpoints_take_a_form_post_from_the_app() {
    let (app, _folder, browser) = alice_with_spa().await;
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let (browser, url) = (browser.clone(), app.url(path));
        async move { browser.post(url).header(header::ORIGIN, "http://app.example.test").form(&form).send().await.unwrap() }
    };
    let r = post(
        "/oidc/authorize",
        vec![
            ("response_type", "code".into()),
            ("client_id", "spa".into()),
            ("redirect_uri", REDIRECT.into()),
            ("scope", "openid profile".into()),
            ("state", "a b&c".into()),
            ("code_challenge", CHALLENGE.into()),
            ("code_challenge_method", "S256".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "not refused as a cross-site post");
    let as_get = location(&r);
    assert!(as_get.starts_with("/oidc/authorize?response_type=code&client_id=spa&"), "{as_get}");
    let back = location(&browser.get(app.url(&as_get)).send().await.unwrap());
    assert_eq!(query_param(&back, "state").as_deref(), Some("a b&c"), "{back}");
    let (status, tokens) = exchange(&app, &query_param(&back, "code").expect("a code")).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");

    let long = post("/oidc/authorize", vec![("client_id", "spa".into()), ("state", "x".repeat(9000))]).await;
    assert_eq!(long.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let r = post(
        "/oidc/logout",
        vec![("client_id", "spa".into()), ("post_logout_redirect_uri", "http://app.example.test/bye".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = browser.get(app.url(&location(&r))).send().await.unwrap().text().await.unwrap();
    let r = confirm_sign_out(&app, &browser, &page).await;
    assert_eq!(location(&r), "http://app.example.test/bye", "registered, and no state: nothing added");
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED, "signed out");
}

/// A public client has no secret: an empty one, as some libraries send, is none; any other is
/// refused. A confidential client's empty secret is no secret at all.
#[tokio::test]
async fn a_public_client_may_send_an_empty_secret_and_nothing_else() {
    let (app, _folder) = provider().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    register(&app, "wiki", false, ClientPolicy::OneFactor).await;
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let token = |client: &'static str, secret: &'static str, code: String| {
        let url = app.url("/oidc/token");
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ];
            let r = rp_http().post(url).basic_auth(client, Some(secret)).form(&form).send().await.unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = token("spa", "", code_for_spa(&app, &browser).await).await;
    assert_eq!(status, StatusCode::OK, "Basic spa: with nothing after the colon: {body}");
    let (status, body) = token("spa", "guess", code_for_spa(&app, &browser).await).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, body) = token("wiki", "", code_for_spa(&app, &browser).await).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

/// A token request must say one thing one way: a parameter given twice is refused before the code
/// is touched (RFC 6749 §3.2), and so is a client that authenticates both ways or names two
/// clients (§2.3). Authentication schemes are read without regard to case (RFC 9110 §11.1), and a
/// wrong method gets a JSON error that names the right one.
#[tokio::test]
async fn the_token_endpoint_takes_each_thing_once_and_one_way() {
    let (app, _folder) = provider().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let secret = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let post = |authorization: Option<String>, form: Vec<(&'static str, String)>| {
        let url = app.url("/oidc/token");
        async move {
            let request = rp_http().post(url).form(&form);
            let request = match authorization {
                Some(value) => request.header(header::AUTHORIZATION, value),
                None => request,
            };
            let r = request.send().await.unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let exchange_form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };
    let code = code_for_spa(&app, &browser).await;
    for twice in ["grant_type", "code"] {
        let mut form = exchange_form(&code);
        form.push(("client_id", "spa".into()));
        let again = form.iter().find(|(name, _)| *name == twice).unwrap().clone();
        form.push(again);
        let (status, body) = post(None, form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{twice} twice"
        );
    }
    // Neither refusal spent the code; `BASIC` in capitals is Basic (spa has no secret).
    let basic = |client: &str, secret: &str| format!("BASIC {}", base64_encode(&format!("{client}:{secret}")));
    let (status, body) = post(Some(basic("spa", "")), exchange_form(&code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    // The same client named in the body as well is one client, one way (as some libraries send).
    let mut named_again = exchange_form(&code_for_spa(&app, &browser).await);
    named_again.push(("client_id", "spa".into()));
    let (status, body) = post(Some(basic("spa", "")), named_again).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut both_ways = exchange_form(&code_for_spa(&app, &browser).await);
    both_ways.push(("client_secret", secret.clone()));
    let (status, body) = post(Some(basic("wiki", &secret)), both_ways).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{body}");
    let mut two_clients = exchange_form(&code_for_spa(&app, &browser).await);
    two_clients.push(("client_id", "spa".into()));
    let (status, body) = post(Some(basic("wiki", &secret)), two_clients).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{body}");

    let r = rp_http()
        .get(app.url("/oidc/userinfo"))
        .header(header::AUTHORIZATION, format!("bearer {access_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "`bearer` in lower case is Bearer");

    let r = rp_http().get(app.url("/oidc/token")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let allow = r.headers()[header::ALLOW].clone();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_description"], "The token endpoint only accepts POST.");
    assert_eq!(allow, "POST,OPTIONS");
    let r = rp_http().delete(app.url("/oidc/userinfo")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_description"], "The userinfo endpoint only accepts GET and POST.");
    let r = rp_http().delete(app.url("/oidc/authorize")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()[header::ALLOW], "GET,HEAD,POST");
    assert_eq!(r.text().await.unwrap(), "This address does not take DELETE; its Allow header lists what it takes.");
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The contract's details relying parties depend on: what discovery lists, CORS on the four
/// endpoints for apps, the scope claims (display name, an email the operator set, groups as a list),
/// no `nonce` unless one was sent, `client_secret_post`, userinfo by `POST`, and sign-out by
/// `id_token_hint`.
#[tokio::test]
async fn the_details_relying_parties_depend_on() {
    let (app, _folder) = provider().await;
    let secret = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    let http = rp_http();
    let discovery = http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(discovery.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let discovery: serde_json::Value = discovery.json().await.unwrap();
    assert_eq!(
        discovery["scopes_supported"],
        serde_json::json!(["openid", "profile", "email", "groups", "offline_access"])
    );
    let claims = discovery["claims_supported"].as_array().unwrap();
    for claim in [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "amr",
        "preferred_username",
        "name",
        "email",
        "email_verified",
        "groups",
    ] {
        assert!(claims.contains(&serde_json::json!(claim)), "claims_supported lists {claim}");
    }
    let jwks = http.get(app.url("/oidc/jwks")).send().await.unwrap();
    assert_eq!(jwks.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    for path in ["/oidc/token", "/oidc/userinfo", "/oidc/jwks", "/.well-known/openid-configuration"] {
        let preflight = http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header(header::ORIGIN, "http://app.example.test")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{path}: {}", preflight.status());
        assert_eq!(preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
    }

    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'alice'").fetch_one(&app.db).await.unwrap();
    domain::storage::accounts::set_groups(&app.db, id, &["admins".into(), "dev".into()]).await.unwrap();
    app.operator(&["user", "set", "alice", "--name", "Alice Liddell", "--email", "alice@example.test"]);
    let authorize = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=wiki&redirect_uri={}&scope=openid%20profile%20email%20groups",
        redirect_param()
    ));
    let code = query_param(&location(&browser.get(authorize).send().await.unwrap()), "code").expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "wiki"),
        ("client_secret", secret.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let r = http.post(app.url("/oidc/token")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "client_secret_post");
    assert_eq!(r.headers()[header::PRAGMA], "no-cache");
    let tokens: serde_json::Value = r.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = jwt_part(id_token, 1);
    assert_eq!(claims["aud"], "wiki");
    assert_eq!(claims["iss"], app.address.as_str());
    assert!(claims.get("nonce").is_none(), "no nonce sent, none in the token: {claims}");
    let userinfo: serde_json::Value = http
        .post(app.url("/oidc/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for answer in [&claims, &userinfo] {
        assert_eq!(answer["preferred_username"], "alice", "{answer}");
        assert_eq!(answer["name"], "Alice Liddell", "{answer}");
        assert_eq!(answer["email"], "alice@example.test", "{answer}");
        assert_eq!(answer["email_verified"], true, "set by the operator: {answer}");
        assert_eq!(answer["groups"], serde_json::json!(["admins", "dev"]), "{answer}");
        assert_eq!(answer["sub"], claims["sub"]);
    }

    let bye = form_urlencoded::byte_serialize(b"http://app.example.test/bye").collect::<String>();
    let r = browser
        .get(app.url(&format!("/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={bye}&state=x")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "http://app.example.test/bye?state=x", "the hint names the client");
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED, "signed out");
}

/// Apps are given an address only once it is verified, and `email_verified` says so: an address
/// the person typed is not given (`email_verified: false`), one the operator set is (`true`), in
/// the ID token and from userinfo, whose next answer follows a change at once.
#[tokio::test]
async fn the_email_claim_carries_only_a_verified_address() {
    let (app, _folder, browser) = alice_with_spa().await;
    let code_with_email = || async {
        let url = app.url(&format!(
            "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid%20email&code_challenge={CHALLENGE}&code_challenge_method=S256",
            redirect_param()
        ));
        query_param(&location(&browser.get(url).send().await.unwrap()), "code").expect("a code")
    };
    let r = app.post(&browser, "profile", &[("display_name", ""), ("email", "alice@example.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, tokens) = exchange(&app, &code_with_email().await).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let userinfo = || async {
        let r = rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send().await.unwrap();
        r.json::<serde_json::Value>().await.unwrap()
    };
    for answer in [jwt_part(tokens["id_token"].as_str().unwrap(), 1), userinfo().await] {
        assert!(answer.get("email").is_none(), "typed by the person: not given: {answer}");
        assert_eq!(answer["email_verified"], false, "{answer}");
    }

    app.operator(&["user", "set", "alice", "--email", "alice@example.test"]);
    let (status, tokens) = exchange(&app, &code_with_email().await).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    for answer in [jwt_part(tokens["id_token"].as_str().unwrap(), 1), userinfo().await] {
        assert_eq!(answer["email"], "alice@example.test", "set by the operator: {answer}");
        assert_eq!(answer["email_verified"], true, "{answer}");
    }

    let r = app.post(&browser, "profile", &[("display_name", ""), ("email", "alice@elsewhere.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let answer = userinfo().await;
    assert!(answer.get("email").is_none(), "changed by the person: not verified any more: {answer}");
    assert_eq!(answer["email_verified"], false, "{answer}");
}

/// Turning 2FA off revokes what apps were given, even a token userinfo has just answered for
/// (and so keeps in memory on SQLite).
#[tokio::test]
async fn turning_two_factor_off_revokes_the_accounts_tokens() {
    let (app, _folder) = provider().await;
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let (totp, browser) = alice_signed_in_with_two_factors(&app).await;
    let (status, tokens) = exchange(&app, &code_for_spa(&app, &browser).await).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().expect("an access token").to_owned();
    let userinfo = || rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send();
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::OK);
    app.advance(30);
    let r = app.disable_two_factor(&browser, PASSWORD, &app.code(&totp, 0)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::UNAUTHORIZED, "revoked with the second factor");
}

/// A code for the public client `spa` (PKCE), with the browser's signed-in session.
/// Alice, with 2FA on, signed in with both factors in a browser of her own; her TOTP key.
async fn alice_signed_in_with_two_factors(app: &TestApp) -> (String, Client) {
    let (totp, _) = app.user_with_two_factor("alice", PASSWORD).await;
    let browser = app.new_client();
    app.login(&browser, "alice", PASSWORD).await;
    app.advance(30);
    assert_eq!(app.submit_code(&browser, &app.code(&totp, 0)).await.status(), StatusCode::OK);
    (totp, browser)
}

pub(crate) async fn code_for_spa(app: &TestApp, browser: &Client) -> String {
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        redirect_param()
    ));
    query_param(&location(&browser.get(url).send().await.unwrap()), "code").expect("a code")
}

/// `spa`'s token request for `code`: the status and the JSON answer.
pub(crate) async fn exchange(app: &TestApp, code: &str) -> (StatusCode, serde_json::Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "spa"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let r = rp_http().post(app.url("/oidc/token")).form(&form).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

/// The `kid` in an ID token's header.
fn key_id(id_token: &serde_json::Value) -> String {
    let header = jwt_part(id_token.as_str().expect("an ID token"), 0);
    header["kid"].as_str().expect("a kid").to_owned()
}

/// A JWT's header (`part` 0) or claims (1), decoded without checking the signature (the
/// `openidconnect` tests check it).
pub(crate) fn jwt_part(token: &str, part: usize) -> serde_json::Value {
    let encoded = token.split('.').nth(part).expect("a JWT part");
    serde_json::from_slice(&base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, encoded).unwrap())
        .unwrap()
}

/// The operator's commands run beside a running server take effect at once (`docs/contract/oidc.md`, Revocation): after
/// `server oidc rotate-key` both keys are published and the new one signs the next ID token;
/// after `server oidc client delete` the client's next token request is refused, and its tokens
/// stop working with it, though userinfo keeps live tokens in memory on SQLite.
#[tokio::test]
async fn operator_commands_beside_a_running_server_take_effect_at_once() {
    let (app, _folder, browser) = alice_with_spa().await;
    let (status, before) = exchange(&app, &code_for_spa(&app, &browser).await).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let old_key = key_id(&before["id_token"]);

    app.operator(&["oidc", "rotate-key"]);
    let jwks: serde_json::Value = rp_http().get(app.url("/oidc/jwks")).send().await.unwrap().json().await.unwrap();
    let published: Vec<String> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(published.len(), 2, "both keys, at once: {published:?}");
    assert!(published.contains(&old_key));
    let new_key = published.iter().find(|k| **k != old_key).unwrap().clone();
    let (status, after) = exchange(&app, &code_for_spa(&app, &browser).await).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(key_id(&after["id_token"]), new_key, "the new key signs");

    let access = after["access_token"].as_str().unwrap().to_owned();
    let userinfo = || rp_http().get(app.url("/oidc/userinfo")).bearer_auth(&access).send();
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::OK);
    let unused = code_for_spa(&app, &browser).await;
    app.operator(&["oidc", "client", "delete", "spa"]);
    let (status, refused) = exchange(&app, &unused).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    // At once: the token was used (and so kept in memory on SQLite) just before the command.
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::UNAUTHORIZED, "its tokens went with it");
}
