//! With JavaScript off, forms post straight to the API: it answers 303 back to a page, which
//! shows the message (`docs/contract/README.md`, Three kinds of caller).

use crate::helpers::{client, setup_key_from_page, spawn_app};
use reqwest::{Client, StatusCode};

/// A form post with JavaScript off: the status and where it leads.
async fn form_post(
    app: &crate::helpers::TestApp,
    c: &Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = app.form_post(c, endpoint, form).await;
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status(), location)
}

async fn page(app: &crate::helpers::TestApp, c: &Client, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_failed_form_post_redirects_back_with_its_message_shown_once() {
    let app = spawn_app().await;
    let c = client();
    let (status, location) = form_post(&app, &c, "login", &[("username", "nobody"), ("password", "wrong horse")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/login"));
    let html = page(&app, &c, "/login").await;
    assert!(html.contains("Wrong username or password."), "{html}");
    let html = page(&app, &c, "/login").await;
    assert!(!html.contains("Wrong username or password."), "shown once");
}

/// A mistake without JavaScript keeps `rd`: the page the form goes back to still carries it, so
/// the next try ends where the protected app sent the visitor from.
#[tokio::test]
async fn a_mistake_without_javascript_keeps_where_the_visitor_was_going() {
    let app = spawn_app().await;
    let (secret, _) = app.user_with_two_factor("alice", "correct horse").await;
    let c = client();
    let rd = "/account?from=app";
    let carried = "rd=%2Faccount%3Ffrom%3Dapp";
    let (_, back) =
        form_post(&app, &c, "login", &[("username", "alice"), ("password", "wrong horse"), ("rd", rd)]).await;
    assert_eq!(back, format!("/login?{carried}"), "a wrong password");
    let html = page(&app, &c, &back).await;
    assert!(html.contains("Wrong username or password."), "{html}");
    assert!(html.contains("from=app"), "the form posts rd again");
    let (_, next) =
        form_post(&app, &c, "login", &[("username", "alice"), ("password", "correct horse"), ("rd", rd)]).await;
    assert_eq!(next, format!("/login/2fa?{carried}"));
    let (_, back) = form_post(&app, &c, "login/2fa", &[("otp", "000000"), ("rd", rd)]).await;
    assert_eq!(back, format!("/login/2fa?{carried}"), "a wrong code");
    let (_, back) = form_post(&app, &c, "login/recovery", &[("recovery_code", "aaaaa-bbbbb"), ("rd", rd)]).await;
    assert_eq!(back, format!("/login/2fa?{carried}"), "a wrong recovery code");
    app.advance(30);
    let (_, next) = form_post(&app, &c, "login/2fa", &[("otp", &app.code(&secret, 0)), ("rd", rd)]).await;
    assert_eq!(next, rd, "then on to rd");
}

#[tokio::test]
async fn the_whole_journey_works_without_javascript() {
    let app = spawn_app().await;
    let c = client();
    assert_eq!(
        form_post(&app, &c, "register", &[("username", "alice"), ("password", "correct horse")]).await,
        (StatusCode::SEE_OTHER, "/account".into())
    );
    assert!(page(&app, &c, "/account").await.contains("Your account is ready"));

    let setup = page(&app, &c, "/account/2fa/setup").await;
    let secret = setup_key_from_page(&setup);
    let wrong = form_post(&app, &c, "2fa/confirm", &[("otp", "000000")]).await;
    assert_eq!(wrong.1, "/account/2fa/setup");
    assert_eq!(
        form_post(&app, &c, "2fa/confirm", &[("otp", &app.code(&secret, 0))]).await,
        (StatusCode::SEE_OTHER, "/account".into())
    );
    let account = page(&app, &c, "/account").await;
    assert!(account.contains("Save your recovery codes"));
    assert_eq!(account.matches("<li><code>").count(), 10, "ten recovery codes, shown");
    assert!(!page(&app, &c, "/account").await.contains("Save your recovery codes"), "shown once");

    assert_eq!(form_post(&app, &c, "logout", &[]).await, (StatusCode::SEE_OTHER, "/login".into()));
    assert_eq!(
        form_post(&app, &c, "login", &[("username", "alice"), ("password", "correct horse")]).await,
        (StatusCode::SEE_OTHER, "/login/2fa".into())
    );
    assert!(page(&app, &c, "/login/2fa").await.contains("name=\"otp\""));
    assert_eq!(
        form_post(&app, &c, "login/2fa", &[("otp", &app.code(&secret, 1))]).await,
        (StatusCode::SEE_OTHER, "/account".into())
    );
    assert!(page(&app, &c, "/account").await.contains("Two-factor authentication is on"));
}
