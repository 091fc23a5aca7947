//! Machine clients (`docs/contract/oidc.md`, "Machine clients"): the `client_credentials` grant
//! (RFC 6749 §4.4), asked for by the `openidconnect` crate as a real client would, with both
//! ways of authenticating; the refusals in raw HTTP, so the errors and statuses show.

use crate::openid_connect::{provider, register, rp_http, PASSWORD, REDIRECT};
use domain::openid::store::clients::{self, ClientPolicy, GrantType, NewClient};
use openidconnect::{
    core::{CoreClient, CoreGrantType, CoreProviderMetadata, CoreUserInfoClaims},
    AuthType, ClientId, ClientSecret, IssuerUrl, OAuth2TokenResponse, Scope, TokenResponse,
};
use reqwest::{header, StatusCode};

/// `backup`, a machine client given `backup:read` and `metrics`.
fn machine_spec() -> NewClient {
    NewClient {
        client_id: "backup".into(),
        name: Some("Nightly backup".into()),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        public: false,
        policy: ClientPolicy::TwoFactor,
        allowed_groups: vec![],
        allow_insecure_http: false,
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["backup:read".into(), "metrics".into()],
    }
}

/// Registers `backup` (`machine_spec`); returns its secret.
async fn register_machine(app: &crate::helpers::TestApp) -> String {
    clients::add(&app.db, &machine_spec(), app.clock.now()).await.unwrap().expect("a machine client has a secret")
}

fn scopes_of(tokens: &impl OAuth2TokenResponse) -> Vec<String> {
    tokens.scopes().map(|scopes| scopes.iter().map(|s| s.as_str().to_owned()).collect()).unwrap_or_default()
}

/// The grant through the relying-party library, with HTTP Basic and with the secret in the form:
/// an access token with the scopes the operator gave (all of them when none is asked for), no ID
/// token, no refresh token; discovery lists the grant; userinfo refuses the token, since nobody
/// signed in.
#[tokio::test]
async fn a_machine_client_gets_a_token_for_itself_with_the_scopes_it_was_given() {
    let (app, _folder) = provider().await;
    let secret = register_machine(&app).await;
    let http = rp_http();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
        .await
        .expect("discovery");
    let grants = metadata.grant_types_supported().expect("grant_types_supported");
    assert!(grants.contains(&CoreGrantType::ClientCredentials), "{grants:?}");
    assert!(grants.contains(&CoreGrantType::RefreshToken), "{grants:?}");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("backup".into()),
        Some(ClientSecret::new(secret.clone())),
    );

    // client_secret_basic (the library's default), no scope asked: every scope given.
    let tokens = rp.exchange_client_credentials().unwrap().request_async(&http).await.expect("client_credentials");
    assert!(tokens.id_token().is_none(), "no ID token: nobody signed in");
    assert!(tokens.refresh_token().is_none(), "no refresh token");
    assert_eq!(scopes_of(&tokens), ["backup:read", "metrics"]);
    assert_eq!(tokens.expires_in(), Some(std::time::Duration::from_secs(3600)));

    // client_secret_post, one scope asked: that one.
    let rp = rp.set_auth_type(AuthType::RequestBody);
    let narrowed = rp
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("metrics".into()))
        .request_async(&http)
        .await
        .expect("client_secret_post");
    assert_eq!(scopes_of(&narrowed), ["metrics"]);
    assert_ne!(narrowed.access_token().secret(), tokens.access_token().secret());

    // Userinfo is about a person: a machine client's token is refused there, as the contract's
    // invalid token, by the library and in raw HTTP.
    let info: Result<CoreUserInfoClaims, _> =
        rp.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await;
    assert!(info.is_err(), "{info:?}");
    for token in [tokens.access_token().secret(), narrowed.access_token().secret()] {
        let r = http.get(app.url("/oidc/userinfo")).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer error=\"invalid_token\"");
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_token");
    }

    // Raw, the answer has exactly the contract's fields, and is not to be cached.
    let r = http
        .post(app.url("/oidc/token"))
        .basic_auth("backup", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "backup:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    let mut fields: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(fields, ["access_token", "expires_in", "scope", "token_type"], "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "backup:read");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "256 random bits, like every access token");
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM oidc_client_tokens WHERE scope = 'backup:read'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(stored, token, "kept as a hash only");
}

/// What a token request gets, raw: the status and the JSON body.
async fn token(
    app: &crate::helpers::TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, serde_json::Value, Option<String>) {
    let request = rp_http().post(app.url("/oidc/token")).form(form);
    let request = match basic {
        Some((id, secret)) => request.basic_auth(id, Some(secret)),
        None => request,
    };
    let r = request.send().await.unwrap();
    let challenge = r.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    (r.status(), r.json().await.unwrap(), challenge)
}

/// The refusals: a scope the operator did not give (a person's scopes included) is
/// `invalid_scope`; a wrong secret `invalid_client` (401); an app people sign in to, confidential
/// or public, asking for the grant is `unauthorized_client`, and so is a machine client asking
/// for a code's or a refresh token's tokens; a machine client cannot start a sign-in (no redirect
/// URI); a deleted one gets nothing more.
#[tokio::test]
async fn what_a_machine_client_may_not_do_and_who_may_not_use_the_grant() {
    let (app, _folder) = provider().await;
    let secret = register_machine(&app).await;
    let wiki = register(&app, "wiki", false, ClientPolicy::OneFactor).await.unwrap();
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let grant = ("grant_type", "client_credentials");
    let basic = Some(("backup", secret.as_str()));

    for scope in ["backup:write", "metrics backup:write", "openid", "offline_access", "profile"] {
        let (status, body, _) = token(&app, basic, &[grant, ("scope", scope)]).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_scope")), "{scope}");
    }
    let (status, body, challenge) = token(&app, Some(("backup", "not-the-secret")), &[grant]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{body}");
    assert_eq!(challenge.as_deref(), Some("Basic realm=\"token\""));
    let (status, body, _) = token(&app, None, &[grant, ("client_id", "backup")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "no secret");
    let (status, body, _) = token(&app, None, &[grant, ("client_id", "backup"), ("client_secret", &wiki)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "another's");

    let (status, body, _) = token(&app, Some(("wiki", &wiki)), &[grant]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unauthorized_client")), "{body}");
    let (status, body, _) = token(&app, None, &[grant, ("client_id", "wiki"), ("client_secret", &wiki)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unauthorized_client")), "{body}");
    let (status, body, _) = token(&app, None, &[grant, ("client_id", "spa")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unauthorized_client")), "public");

    let code = [("grant_type", "authorization_code"), ("code", "whatever"), ("redirect_uri", REDIRECT)];
    let (status, body, _) = token(&app, basic, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unauthorized_client")), "{body}");
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", "whatever")];
    let (status, body, _) = token(&app, basic, &refresh).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unauthorized_client")), "{body}");
    let (status, body, _) = token(&app, basic, &[grant, ("scope", "metrics"), ("scope", "metrics")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{body}");

    // No redirect URI is registered for it: the authorization endpoint's error page, signed in
    // or not.
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let redirect = crate::openid_connect::redirect_param();
    let r =
        browser
            .get(app.url(&format!(
                "/oidc/authorize?response_type=code&client_id=backup&redirect_uri={redirect}&scope=openid"
            )))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get(header::LOCATION).is_none(), "never a redirect");

    let (status, _, _) = token(&app, basic, &[grant]).await;
    assert_eq!(status, StatusCode::OK);
    app.operator(&["oidc", "client", "delete", "backup"]);
    let (status, body, _) = token(&app, basic, &[grant]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "deleted");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_client_tokens").fetch_one(&app.db).await.unwrap();
    assert_eq!(left, 0, "its tokens went with it");
}

/// Introspection (RFC 7662): a resource server, registered as a confidential client, learns that a
/// machine client's token is live and that its subject is that client (`client:backup`, never a
/// person's hexadecimal `sub`), and the same of a person's token with the person's `sub`. Anything
/// else (a refresh token, junk, an expired token, a deleted client's) is only `active: false`;
/// public clients and wrong secrets may not ask.
#[tokio::test]
async fn a_resource_server_introspects_tokens_and_tells_a_machine_from_a_person() {
    let (app, _folder) = provider().await;
    let secret = register_machine(&app).await;
    let api = NewClient { client_id: "api".into(), scopes: vec![], ..machine_spec() };
    let api_secret = clients::add(&app.db, &api, app.clock.now()).await.unwrap().unwrap();
    register(&app, "spa", true, ClientPolicy::OneFactor).await;
    let discovery: serde_json::Value =
        rp_http().get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(discovery["introspection_endpoint"], format!("{}/oidc/introspect", app.address));
    assert_eq!(
        discovery["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );

    let introspect = |basic: Option<(&'static str, String)>, form: Vec<(&'static str, String)>| {
        let url = app.url("/oidc/introspect");
        async move {
            let request = rp_http().post(url).form(&form);
            let request = match basic {
                Some((id, secret)) => request.basic_auth(id, Some(secret)),
                None => request,
            };
            let r = request.send().await.unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (_, machine, _) = token(&app, Some(("backup", &secret)), &[("grant_type", "client_credentials")]).await;
    let machine_token = machine["access_token"].as_str().unwrap().to_owned();
    let (status, answer) = introspect(Some(("api", api_secret.clone())), vec![("token", machine_token.clone())]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["active"], true);
    assert_eq!(answer["sub"], "client:backup", "the subject is the client");
    assert_eq!(answer["client_id"], "backup");
    assert_eq!(answer["scope"], "backup:read metrics");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["iss"], app.address.as_str());
    assert_eq!(answer["exp"].as_i64().unwrap() - answer["iat"].as_i64().unwrap(), 3600);

    // A person's token, asked about with client_secret_post: the person's `sub`, as in the ID token.
    let browser = app.new_client();
    app.register(&browser, "alice", PASSWORD).await;
    let url = app.url(&format!(
        "/oidc/authorize?response_type=code&client_id=spa&redirect_uri={}&scope=openid%20offline_access&code_challenge={}&code_challenge_method=S256",
        crate::openid_connect::redirect_param(),
        crate::openid_connect::CHALLENGE
    ));
    let back = crate::openid_connect::location(&browser.get(url).send().await.unwrap());
    let code = crate::openid_connect::query_param(&back, "code").expect("a code");
    let (status, person) = crate::openid_connect::exchange(&app, &code).await;
    assert_eq!(status, StatusCode::OK, "{person}");
    let person_sub = crate::openid_connect::jwt_part(person["id_token"].as_str().unwrap(), 1)["sub"].clone();
    let by_post = |token: &str| {
        vec![("token", token.to_owned()), ("client_id", "api".to_owned()), ("client_secret", api_secret.clone())]
    };
    let (status, answer) = introspect(None, by_post(person["access_token"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!((answer["active"].clone(), answer["sub"].clone()), (serde_json::json!(true), person_sub.clone()));
    assert!(person_sub.as_str().unwrap().bytes().all(|b| b.is_ascii_hexdigit()), "{person_sub}");
    assert_eq!(answer["client_id"], "spa");
    assert_eq!(answer["scope"], "openid offline_access");

    for other in [person["refresh_token"].as_str().unwrap(), "junk", &code] {
        let (status, answer) = introspect(None, by_post(other)).await;
        assert_eq!((status, answer), (StatusCode::OK, serde_json::json!({ "active": false })), "{other:.10}");
    }
    // Who may not ask.
    let (status, answer) = introspect(None, vec![("token", machine_token.clone()), ("client_id", "spa".into())]).await;
    assert_eq!((status, answer["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "public");
    let (status, answer) = introspect(Some(("api", "wrong".into())), vec![("token", machine_token.clone())]).await;
    assert_eq!((status, answer["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, answer) = introspect(Some(("api", api_secret.clone())), vec![]).await;
    assert_eq!((status, answer["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "no token");
    let r = rp_http().get(app.url("/oidc/introspect")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_description"], "The introspection endpoint only accepts POST.");

    // Expired, then deleted with its client.
    app.advance(3600);
    let (_, answer) = introspect(Some(("api", api_secret.clone())), vec![("token", machine_token)]).await;
    assert_eq!(answer, serde_json::json!({ "active": false }), "expired");
    let (_, fresh, _) = token(&app, Some(("backup", &secret)), &[("grant_type", "client_credentials")]).await;
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    let (_, answer) = introspect(Some(("api", api_secret.clone())), vec![("token", fresh.clone())]).await;
    assert_eq!(answer["active"], true);
    app.operator(&["oidc", "client", "delete", "backup"]);
    let (_, answer) = introspect(Some(("api", api_secret)), vec![("token", fresh)]).await;
    assert_eq!(answer, serde_json::json!({ "active": false }), "the client deleted");
}
