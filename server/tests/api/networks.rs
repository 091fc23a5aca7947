//! Access rules with `networks` (`docs/contract/forward-auth.md`): the gate judges them on the
//! client address it derives through `TRUSTED_PROXIES`, and on nothing a client writes itself.
//!
//! Every loopback address is this machine's, so the tests' clients connect from addresses of
//! their own: `127.0.0.2` stands for a client on the home network ("lan" in the rules),
//! `127.0.0.3` for one outside it. The proxies run on 127.0.0.1, the one trusted proxy.

use crate::helpers::{
    fresh_database_url,
    proxies::{readme_block, Proxied, ProxyKind, Site, Upstream, APP_HOST},
    spawn_app_with, test_config, TestApp,
};
use domain::access_rules::AccessRules;
use reqwest::{header, Client, Response, StatusCode};
use std::{net::IpAddr, sync::Arc};

const LAN_CLIENT: &str = "127.0.0.2";
const OUTSIDE_CLIENT: &str = "127.0.0.3";

const RULES: &str = r#"
default_policy = "two_factor"

[networks]
lan = ["127.0.0.2", "192.168.0.0/16", "fd00::/8"]

[default_policy_for_networks]
lan = "one_factor"

[[rules]]
domain = "media.example.test"
networks = ["lan"]
policy = "bypass"
"#;

/// The gate with `RULES`, `COOKIE_DOMAIN=example.test`, and `trusted` (addresses) as
/// `TRUSTED_PROXIES`.
async fn gate(trusted: &[&str]) -> (TestApp, tempfile::TempDir) {
    gate_with(trusted, true).await
}

/// `gate`, without `COOKIE_DOMAIN` unless `cookie_domain` (the test client then keeps the
/// portal's cookie: it is for 127.0.0.1).
async fn gate_with(trusted: &[&str], cookie_domain: bool) -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database_url(folder.path()).await);
    config.settings.access_rules = Arc::new(AccessRules::parse(RULES).unwrap());
    config.settings.cookie_domain = cookie_domain.then(|| "example.test".into());
    config.settings.public_url = "https://auth.example.test".into();
    config.settings.trusted_proxies = trusted.iter().map(|t| format!("{t}/32").parse().unwrap()).collect();
    (spawn_app_with(config).await, folder)
}

fn ip(address: &str) -> IpAddr {
    address.parse().unwrap()
}

/// What the gate answers a script (no redirect: 200, 401 or 403) asking, from `c`, about `url`
/// through both endpoints, with `extra` headers (a forged `X-Forwarded-For`, a cookie).
async fn ask(app: &TestApp, c: &Client, url: &str, extra: &[(&str, &str)]) -> [StatusCode; 2] {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, uri) = rest.split_at(rest.find('/').unwrap());
    let with = |mut request: reqwest::RequestBuilder| {
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request.header(header::ACCEPT, "application/json")
    };
    let forward_auth = with(
        c.get(app.url("/api/authz/forward-auth"))
            .header("x-forwarded-proto", scheme)
            .header("x-forwarded-host", host)
            .header("x-forwarded-uri", uri)
            .header("x-forwarded-method", "GET"),
    );
    let auth_request = with(
        c.get(app.url("/api/authz/auth-request")).header("x-original-url", url).header("x-original-method", "GET"),
    );
    [forward_auth.send().await.unwrap().status(), auth_request.send().await.unwrap().status()]
}

const PASS: [StatusCode; 2] = [StatusCode::OK, StatusCode::OK];
const SIGN_IN: [StatusCode; 2] = [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED];

#[tokio::test]
async fn a_lan_address_gets_the_lan_rule_and_an_outside_one_does_not() {
    let (app, _folder) = gate(&[]).await;
    let lan = app.new_client_from(ip(LAN_CLIENT));
    let outside = app.new_client_from(ip(OUTSIDE_CLIENT));
    assert_eq!(ask(&app, &lan, "https://media.example.test/film", &[]).await, PASS, "lan: bypass");
    assert_eq!(ask(&app, &outside, "https://media.example.test/film", &[]).await, SIGN_IN, "outside: sign in");
}

/// A client's own `X-Forwarded-For` (or `Forwarded`, `X-Real-IP`) naming a LAN address moves
/// nothing when the peer that sends it is not a trusted proxy: with no `TRUSTED_PROXIES` at
/// all, or with a proxy trusted that is not this peer. The same header from a trusted peer is
/// believed (the right-most address that is not a trusted proxy), so it is the trust, not the
/// header's form, that decides.
#[tokio::test]
async fn a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let forged: &[&[(&str, &str)]] = &[
        &[("x-forwarded-for", "192.168.1.5")],
        &[("x-forwarded-for", LAN_CLIENT)],
        &[("x-forwarded-for", "fd00::5, 192.168.1.5")],
        &[("forwarded", "for=192.168.1.5"), ("x-real-ip", "192.168.1.5")],
    ];
    for trusted in [&[][..], &["127.0.0.1"][..]] {
        let (app, _folder) = gate(trusted).await;
        let outside = app.new_client_from(ip(OUTSIDE_CLIENT));
        for headers in forged {
            let answer = ask(&app, &outside, "https://media.example.test/", headers).await;
            assert_eq!(answer, SIGN_IN, "TRUSTED_PROXIES={trusted:?}, {headers:?}: not believed");
        }
    }
    // The outside client as a trusted proxy: what it forwards is believed, right-most first.
    let (app, _folder) = gate(&[OUTSIDE_CLIENT]).await;
    let proxy = app.new_client_from(ip(OUTSIDE_CLIENT));
    let media = "https://media.example.test/";
    assert_eq!(ask(&app, &proxy, media, &[("x-forwarded-for", "192.168.1.5")]).await, PASS);
    assert_eq!(ask(&app, &proxy, media, &[("x-forwarded-for", "192.168.1.5, 198.51.100.7")]).await, SIGN_IN);
    assert_eq!(ask(&app, &proxy, media, &[("x-forwarded-for", "198.51.100.7, 192.168.1.5")]).await, PASS);
    assert_eq!(ask(&app, &proxy, media, &[]).await, SIGN_IN, "no header: the proxy itself, outside");

    // A trusted proxy is no client: with the LAN client's own address trusted, a request from it
    // that names nobody else is from an unknown address, in no network (fail closed).
    let (app, _folder) = gate(&[LAN_CLIENT]).await;
    let proxy = app.new_client_from(ip(LAN_CLIENT));
    assert_eq!(ask(&app, &proxy, media, &[]).await, SIGN_IN, "the proxy itself");
    assert_eq!(ask(&app, &proxy, media, &[("x-forwarded-for", "nonsense")]).await, SIGN_IN, "an unreadable entry");
    assert_eq!(ask(&app, &proxy, media, &[("x-forwarded-for", "192.168.1.5")]).await, PASS, "a client it names");
}

/// The session cookie a response set (it is for `example.test`, which the test client does not
/// send to 127.0.0.1: it is handed over as a proxy would).
fn session_cookie(r: &Response) -> String {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("session="))
        .expect("the session cookie")
}

fn location(r: &Response) -> &str {
    r.headers().get(header::LOCATION).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

/// `[default_policy_for_networks] lan = "one_factor"`: from the LAN a password is enough for
/// any app without a rule of its own, outside two factors are asked (`default_policy`). The
/// portal judges `rd` from the same address as the gate, so a sign-in from the LAN goes back to
/// the app and one from outside is sent through the 2FA setup first.
#[tokio::test]
async fn the_default_differs_on_a_named_network_for_the_gate_and_the_portal_alike() {
    let (app, _folder) = gate(&[]).await;
    app.register(&crate::helpers::client(), "alice", "correct horse").await;
    let rd = "https://app.example.test/";
    let sign_in = |from: &'static str| {
        let app = &app;
        async move {
            let form = [("username", "alice"), ("password", "correct horse"), ("rd", rd)];
            app.form_post(&app.new_client_from(ip(from)), "login", &form).await
        }
    };
    let from_lan = sign_in(LAN_CLIENT).await;
    assert_eq!(location(&from_lan), rd, "from the LAN: back to the app at once");
    let from_outside = sign_in(OUTSIDE_CLIENT).await;
    assert_eq!(location(&from_outside), "/account/2fa/setup?rd=https%3A%2F%2Fapp.example.test%2F");

    // The gate: the same session passes from the LAN and not from outside.
    let cookie = session_cookie(&from_lan);
    let lan = app.new_client_from(ip(LAN_CLIENT));
    let outside = app.new_client_from(ip(OUTSIDE_CLIENT));
    assert_eq!(ask(&app, &lan, rd, &[("cookie", &cookie)]).await, PASS);
    assert_eq!(ask(&app, &outside, rd, &[("cookie", &cookie)]).await, SIGN_IN);
    let forged = [("cookie", cookie.as_str()), ("x-forwarded-for", "192.168.1.5")];
    assert_eq!(ask(&app, &outside, rd, &forged).await, SIGN_IN, "a forged address changes nothing");

    // Sent to /login again by the gate, signed in already: the portal agrees with the gate.
    let again = |c: Client| {
        let cookie = cookie.clone();
        let url = app.url("/login?rd=https%3A%2F%2Fapp.example.test%2F");
        async move { c.get(url).header(header::COOKIE, cookie).send().await.unwrap() }
    };
    assert_eq!(location(&again(lan.clone()).await), rd);
    assert_eq!(location(&again(outside.clone()).await), "/account/2fa/setup?rd=https%3A%2F%2Fapp.example.test%2F");
}

/// The README's home-network example reads as it says: at home a password is enough, the media
/// server needs no sign-in at home or on the VPN, the router is reached from home only.
#[test]
fn the_readmes_home_network_example_means_what_it_says() {
    use domain::{
        access_rules::{Decision, Policy},
        request_target::Target,
        visitor::Visitor,
    };
    let rules = AccessRules::parse(&readme_block("home network")).expect("the README's example parses");
    let decide = |host: &str, from: &str| {
        let target = Target::parse(&format!("https://{host}/"), "GET").unwrap();
        match rules.decide(&target, &Visitor::Anonymous, Some(ip(from))) {
            Decision::Policy { policy, .. } => policy,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(decide("wiki.example.com", "192.168.1.20"), Policy::OneFactor);
    assert_eq!(decide("wiki.example.com", "fd00::20"), Policy::OneFactor);
    assert_eq!(decide("wiki.example.com", "198.51.100.7"), Policy::TwoFactor);
    assert_eq!(decide("wiki.example.com", "10.8.0.3"), Policy::TwoFactor, "the VPN has no default of its own");
    assert_eq!(decide("media.example.com", "192.168.1.20"), Policy::Bypass);
    assert_eq!(decide("media.example.com", "10.8.0.3"), Policy::Bypass);
    assert_eq!(decide("media.example.com", "198.51.100.7"), Policy::TwoFactor);
    assert_eq!(decide("router.example.com", "192.168.1.20"), Policy::TwoFactor);
    assert_eq!(decide("router.example.com", "198.51.100.7"), Policy::Deny);
}

const PROXIED_RULES: &str = r#"
default_policy = "two_factor"

[networks]
lan = ["127.0.0.2", "192.168.0.0/16"]

[[rules]]
domain = "app.example.test"
resources = ["^/media/"]
networks = "lan"
policy = "bypass"
"#;

/// Through real nginx (`$proxy_add_x_forwarded_for`: the client's own header, then the address
/// nginx was reached from) and real Caddy (which, trusting no one in front of it, replaces the
/// header), with `TRUSTED_PROXIES=127.0.0.1`: the client is the address the proxy saw, and a
/// header the client wrote itself is never believed.
async fn a_client_behind_a_real_proxy_is_the_address_the_proxy_saw(kind: ProxyKind) {
    let upstream = Upstream::start().await;
    let site = Site { hosts: vec![APP_HOST.into()], upstream: upstream.address.clone() };
    let proxied = Proxied::start_with(kind, PROXIED_RULES, vec![site], upstream).await;
    let lan = proxied.app.new_client_from(ip(LAN_CLIENT));
    let outside = proxied.app.new_client_from(ip(OUTSIDE_CLIENT));
    let get = |c: &Client, path: &str, headers: &[(&str, &str)]| {
        let mut request = c.get(proxied.app_url(path)).header(header::ACCEPT, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };

    let r = get(&lan, "/media/film", &[]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{kind:?}: a LAN client passes the LAN rule");
    assert_eq!(proxied.upstream.hits(), 1);
    let r = get(&outside, "/media/film", &[]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind:?}: an outside client does not");
    let forged: &[&[(&str, &str)]] = &[
        &[("x-forwarded-for", "192.168.1.5")],
        &[("x-forwarded-for", LAN_CLIENT)],
        // Even naming the trusted proxy as the last hop: the proxy appends (nginx) or replaces
        // (Caddy), so the right-most untrusted address is still the one it saw.
        &[("x-forwarded-for", "192.168.1.5, 127.0.0.1")],
        &[("forwarded", "for=192.168.1.5"), ("x-real-ip", "192.168.1.5")],
    ];
    for headers in forged {
        let r = get(&outside, "/media/film", headers).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind:?}: {headers:?} is not believed");
    }
    assert_eq!(proxied.upstream.hits(), 1, "{kind:?}: no outside request reached the app");
    // A LAN client's own header cannot move it outside its network either: what the proxy saw.
    let r = get(&lan, "/media/film", &[("x-forwarded-for", "198.51.100.7")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{kind:?}: the address the proxy saw");
}

#[tokio::test]
async fn a_client_behind_nginx_is_the_address_nginx_saw() {
    a_client_behind_a_real_proxy_is_the_address_the_proxy_saw(ProxyKind::Nginx).await;
}

#[tokio::test]
async fn a_client_behind_caddy_is_the_address_caddy_saw() {
    a_client_behind_a_real_proxy_is_the_address_the_proxy_saw(ProxyKind::Caddy).await;
}

/// The console lists each rule's networks, the named networks and their defaults, and its
/// "Check a URL" takes a "From address" (`from`), as `server authz check --from` does.
#[tokio::test]
async fn the_console_shows_the_networks_and_checks_from_an_address() {
    let (app, _folder) = gate_with(&[], false).await;
    let (secret, _) = app.user_with_two_factor("root", "correct horse").await;
    app.operator(&["user", "set", "root", "--groups", "admins"]);
    let admin = app.pending_client("root", "correct horse").await;
    assert_eq!(app.submit_code(&admin, &app.code(&secret, 1)).await.status(), StatusCode::OK);

    let html = admin.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();
    for shown in [
        "rule 1 (media.example.test): bypass; networks lan",
        "network lan: 127.0.0.2 192.168.0.0/16 fd00::/8",
        "default from network lan: one_factor",
        "id=\"check-from\"",
    ] {
        assert!(html.contains(shown), "{shown} missing from the console");
    }
    let check = |from: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let form = [("url", "https://media.example.test/"), ("method", "GET"), ("username", ""), ("from", from)];
            crate::helpers::json(app.post(admin, "admin/rules/check", &form).await).await
        }
    };
    let (status, lan) = check("192.168.1.5").await;
    assert_eq!(status, StatusCode::OK, "{lan}");
    assert_eq!(
        (lan["matched"].as_str(), lan["decision"].as_str()),
        (Some("rule 1 (media.example.test)"), Some("bypass"))
    );
    let (_, outside) = check("198.51.100.7").await;
    assert_eq!(outside["decision"].as_str(), Some("two_factor"), "{outside}");
    let (_, unknown) = check("").await;
    assert_eq!(unknown["decision"].as_str(), Some("two_factor"), "no address: no network: {unknown}");
    let (status, bad) = check("192.168.1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}
