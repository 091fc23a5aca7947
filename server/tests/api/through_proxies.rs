//! The gate through real proxies (Debian's nginx with `auth_request`, Caddy with `forward_auth`),
//! configured exactly as the README says, in front of an upstream app that echoes what it
//! receives: every row of the contract's table, a forged `Remote-User`, and the sign-in and
//! logout that open and close the app.

use crate::helpers::{
    proxies::{send_raw, Echo, Proxied, ProxyKind, Site, Upstream, APP_HOST},
    TestApp,
};

const PUBLIC_HOST: &str = "public.example.test";
use reqwest::{header, Client, Response, StatusCode};

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

async fn get(c: &Client, url: &str, accept: &str) -> Response {
    c.get(url).header(header::ACCEPT, accept).header("remote-user", "admin").send().await.unwrap()
}

/// A request that reached the app: what the app received.
async fn passed(proxied: &Proxied, r: Response, what: &str) -> Echo {
    assert_eq!(r.status(), StatusCode::OK, "{what}: passed to the app");
    let echo: Echo = r.json().await.unwrap_or_else(|e| panic!("{what}: the app's echo ({e})"));
    assert!(proxied.upstream.hits() > 0);
    echo
}

fn location(r: &Response) -> String {
    r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The values the app received as `Remote-User`: none or empty when the visitor is anonymous —
/// never the forged `admin` the client sent.
fn remote_users(echo: &Echo) -> Vec<String> {
    echo.values("remote-user").into_iter().filter(|v| !v.is_empty()).collect()
}

async fn every_row_of_the_contract(kind: ProxyKind) {
    let proxied = Proxied::start(kind).await;
    let app: &TestApp = &proxied.app;
    let c = proxied.client();

    // Not signed in: a browser is sent to the portal with the page it asked for; a script gets
    // 401; nothing reaches the app.
    let target = proxied.app_url("/docs?page=2");
    let r = get(&c, &target, BROWSER).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{kind:?}: a browser is redirected");
    assert_eq!(location(&r), proxied.portal_login_for(&target));
    let r = c.post(proxied.app_url("/form")).header(header::ACCEPT, BROWSER).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{kind:?}: a form post is sent on with 303");
    assert_eq!(location(&r), proxied.portal_login_for(&proxied.app_url("/form")));
    for accept in ["application/json", "*/*"] {
        let r = get(&c, &proxied.app_url("/docs"), accept).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind:?}: a script gets 401 ({accept})");
        assert_eq!(location(&r), "", "{kind:?}: and no redirect");
    }
    let r = c
        .get(proxied.app_url("/docs"))
        .header(header::ACCEPT, BROWSER)
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind:?}: an XMLHttpRequest gets 401");
    // `deny`, for anyone.
    assert_eq!(get(&c, &proxied.app_url("/closed/x"), BROWSER).await.status(), StatusCode::FORBIDDEN);
    // A host outside the cookie domain: refused by the gate (Caddy passes its 400 on; nginx
    // turns any answer but 2xx, 401 and 403 into 500).
    let r = get(&c, &proxied.outside_url("/docs"), BROWSER).await;
    let refused = match kind {
        ProxyKind::Caddy => StatusCode::BAD_REQUEST,
        ProxyKind::Nginx => StatusCode::INTERNAL_SERVER_ERROR,
    };
    assert_eq!(r.status(), refused, "{kind:?}: a host outside the cookie domain");
    assert_eq!(proxied.upstream.hits(), 0, "{kind:?}: nothing so far reached the app");

    // `bypass`: the app is reached, and the forged `Remote-User` is not what it receives.
    let echo = passed(&proxied, get(&c, &proxied.app_url("/public/page?x=1"), BROWSER).await, "bypass").await;
    assert_eq!((echo.method.as_str(), echo.uri.as_str()), ("GET", "/public/page?x=1"));
    assert_eq!(remote_users(&echo), Vec::<String>::new(), "{kind:?}: the forged Remote-User never arrives");

    // Signed in with the password only (through the portal behind the proxy): `one_factor`
    // passes with who it is; the `two_factor` default sends the browser on to the portal.
    app.register(&c, "alice", "correct horse battery").await;
    let r = app.post(&c, "profile", &[("display_name", "Alice Liddell")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    // An address is passed on only when verified: one the operator sets.
    app.operator(&["user", "set", "alice", "--email", "alice@example.test"]);
    let echo = passed(&proxied, get(&c, &proxied.app_url("/wiki/Home"), BROWSER).await, "one_factor").await;
    assert_eq!(echo.values("remote-user"), ["alice"], "{kind:?}: exactly the gate's user, once");
    assert_eq!(echo.values("remote-name"), ["Alice Liddell"]);
    assert_eq!(echo.values("remote-email"), ["alice@example.test"]);
    let r = get(&c, &proxied.app_url("/admin"), BROWSER).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{kind:?}: two factors needed, 2FA off");

    // Two factors: the whole app opens; logout closes it again.
    let (secret, _) = app.user_with_two_factor("bob", "correct horse battery").await;
    let bob = proxied.client();
    assert_eq!(app.login(&bob, "bob", "correct horse battery").await.status(), StatusCode::OK);
    let r = get(&bob, &proxied.app_url("/admin"), BROWSER).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{kind:?}: the password step alone is not enough");
    app.advance(30);
    assert_eq!(app.submit_code(&bob, &app.code(&secret, 0)).await.status(), StatusCode::OK);
    let echo = passed(&proxied, get(&bob, &proxied.app_url("/admin?tab=users"), BROWSER).await, "two_factor").await;
    assert_eq!(echo.values("remote-user"), ["bob"]);
    assert_eq!(echo.values("remote-name"), ["bob"], "{kind:?}: the username when no display name is set");
    assert_eq!(echo.uri, "/admin?tab=users");
    assert_eq!(app.logout(&bob).await.status(), StatusCode::OK);
    let r = get(&bob, &proxied.app_url("/admin"), BROWSER).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{kind:?}: closed again after logout");
}

#[tokio::test]
async fn every_row_of_the_contract_through_nginx() {
    every_row_of_the_contract(ProxyKind::Nginx).await;
}

#[tokio::test]
async fn every_row_of_the_contract_through_caddy() {
    every_row_of_the_contract(ProxyKind::Caddy).await;
}

/// A browser that asked for a page lands on it after signing in at the portal, through the
/// proxy: the redirect the proxy gave, followed the way a browser follows it.
async fn the_sign_in_returns_to_the_page_asked_for(kind: ProxyKind) {
    let proxied = Proxied::start(kind).await;
    let app = &proxied.app;
    let (secret, _) = app.user_with_two_factor("carol", "correct horse battery").await;
    let c = proxied.client();
    let target = proxied.app_url("/reports/q3?format=html");
    let portal = location(&get(&c, &target, BROWSER).await);
    assert_eq!(portal, proxied.portal_login_for(&target));
    let rd = target.as_str();
    let r =
        app.form_post(&c, "login", &[("username", "carol"), ("password", "correct horse battery"), ("rd", rd)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login/2fa?rd="), "{kind:?}: on to the code step: {}", location(&r));
    app.advance(30);
    let r = app.form_post(&c, "login/2fa", &[("otp", &app.code(&secret, 0)), ("rd", rd)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), target, "{kind:?}: back to the page first asked for, query included");
    let echo = passed(&proxied, get(&c, &target, BROWSER).await, "after the sign-in").await;
    assert_eq!(echo.values("remote-user"), ["carol"]);
}

#[tokio::test]
async fn the_sign_in_returns_to_the_page_asked_for_through_nginx() {
    the_sign_in_returns_to_the_page_asked_for(ProxyKind::Nginx).await;
}

#[tokio::test]
async fn the_sign_in_returns_to_the_page_asked_for_through_caddy() {
    the_sign_in_returns_to_the_page_asked_for(ProxyKind::Caddy).await;
}

/// The gate judges the host the proxy routes to, whatever the client wrote: a request line in
/// absolute form naming the protected app while `Host:` names a `bypass` site (and the reverse),
/// two `Host` headers, HTTP/1.0 without one, upper-case and trailing-dot hosts, explicit ports.
async fn the_host_judged_is_the_host_routed_to(kind: ProxyKind) {
    const RULES: &str = r#"
default_policy = "two_factor"

[[rules]]
domain = "public.example.test"
policy = "bypass"
"#;
    let protected = Upstream::start().await;
    let open = Upstream::start().await;
    let sites = vec![
        Site { hosts: vec![APP_HOST.into()], upstream: protected.address.clone() },
        Site { hosts: vec![PUBLIC_HOST.into()], upstream: open.address.clone() },
    ];
    let proxied = Proxied::start_with(kind, RULES, sites, protected).await;
    let port = proxied.port();
    let request = |line: &str, hosts: &[String]| {
        let hosts: String = hosts.iter().map(|h| format!("Host: {h}\r\n")).collect();
        format!("{line}\r\n{hosts}Accept: text/html\r\nConnection: close\r\n\r\n")
    };
    let app = format!("{APP_HOST}:{port}");
    let public = format!("{PUBLIC_HOST}:{port}");
    let not_reaching_the_app = [
        (format!("GET http://{app}/secret/ HTTP/1.1"), vec![public.clone()]),
        (format!("GET http://{APP_HOST}/secret/ HTTP/1.1"), vec![public.clone()]),
        (format!("GET http://{}/secret/ HTTP/1.1", app.to_uppercase()), vec![public.clone()]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![public.clone(), app.clone()]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![app.clone(), public.clone()]),
        ("GET /secret/ HTTP/1.0".to_owned(), vec![]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![app.to_uppercase()]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![format!("{APP_HOST}.:{port}")]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![APP_HOST.to_owned()]),
        ("GET /secret/ HTTP/1.1".to_owned(), vec![app.clone()]),
    ];
    for (line, hosts) in &not_reaching_the_app {
        let answer = send_raw(port, &request(line, hosts)).await;
        assert_eq!(
            proxied.upstream.hits(),
            0,
            "{kind:?}: {line} with Host {hosts:?} reached the app ({})",
            answer.status
        );
        if answer.status == 302 {
            let rd = answer.header("location").unwrap_or_default().to_ascii_lowercase();
            assert!(rd.contains(&super::helpers::proxies::percent_encode(APP_HOST)), "{kind:?}: {line}: {rd}");
        }
    }
    // The reverse: a request line naming the open site is the open site's, whatever `Host:` says.
    let answer = send_raw(port, &request(&format!("GET http://{public}/x HTTP/1.1"), std::slice::from_ref(&app))).await;
    assert_eq!((answer.status, open.hits(), proxied.upstream.hits()), (200, 1, 0), "{kind:?}: routed to the open site");
    // And the open site itself, in upper case, passes as it should.
    let answer = send_raw(port, &request("GET /x HTTP/1.1", &[public.to_uppercase()])).await;
    assert_eq!((answer.status, open.hits()), (200, 2), "{kind:?}: the open site in upper case");
    assert_eq!(proxied.upstream.hits(), 0, "{kind:?}: nothing ever reached the protected app");
}

#[tokio::test]
async fn the_host_judged_is_the_host_nginx_routes_to() {
    the_host_judged_is_the_host_routed_to(ProxyKind::Nginx).await;
}

#[tokio::test]
async fn the_host_judged_is_the_host_caddy_routes_to() {
    the_host_judged_is_the_host_routed_to(ProxyKind::Caddy).await;
}
