//! Typed calls for each step of a person's journey, as a script (JSON answers) or as a browser
//! with JavaScript off (`form_post`). `post` stays for tests that send what no form would.

use super::app::TestApp;
use reqwest::{header, Client, Response, StatusCode};
use serde_json::Value;

/// What a browser posting a form asks for.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

impl TestApp {
    /// `POST /api/<endpoint>` with form fields, as a script would (JSON answer).
    pub async fn post(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// `post` with an owned client and form, for firing many requests at once.
    pub async fn post_with(&self, client: Client, endpoint: &str, form: Vec<(&str, &str)>) -> Response {
        self.post(&client, endpoint, &form).await
    }

    /// The same post as a browser with JavaScript off sends it (a form, asking for HTML).
    pub async fn form_post(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ACCEPT, BROWSER_ACCEPT)
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Registers `username` (and signs in): must succeed.
    pub async fn register(&self, client: &Client, username: &str, password: &str) {
        let r = self.try_register(client, username, password).await;
        assert_eq!(r.status(), StatusCode::OK, "register {username}");
    }

    pub async fn try_register(&self, client: &Client, username: &str, password: &str) -> Response {
        self.post(client, "register", &[("username", username), ("password", password)]).await
    }

    /// The password step.
    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Response {
        self.post(client, "login", &[("username", username), ("password", password)]).await
    }

    /// The second step with a code from the authenticator app.
    pub async fn submit_code(&self, client: &Client, code: &str) -> Response {
        self.post(client, "login/2fa", &[("otp", code)]).await
    }

    /// The second step with a recovery code.
    pub async fn submit_recovery_code(&self, client: &Client, code: &str) -> Response {
        self.post(client, "login/recovery", &[("recovery_code", code)]).await
    }

    /// `POST /api/me`: who is signed in.
    pub async fn me(&self, client: &Client) -> Response {
        self.post(client, "me", &[]).await
    }

    /// A new 2FA key for this session (`POST /api/2fa/setup`).
    pub async fn start_setup(&self, client: &Client) -> Response {
        self.post(client, "2fa/setup", &[]).await
    }

    /// Confirms the session's 2FA setup with a code.
    pub async fn confirm_setup(&self, client: &Client, code: &str) -> Response {
        self.post(client, "2fa/confirm", &[("otp", code)]).await
    }

    pub async fn logout(&self, client: &Client) -> Response {
        self.post(client, "logout", &[]).await
    }

    /// Registers `username`, turns 2FA on and signs out. Returns the key and the recovery codes.
    pub async fn user_with_two_factor(&self, username: &str, password: &str) -> (String, Vec<String>) {
        let c = self.new_client();
        self.register(&c, username, password).await;
        self.turn_on_two_factor(&c).await
    }

    /// Turns 2FA on for the signed-in client `c`: the key and the recovery codes.
    pub async fn turn_on_two_factor(&self, c: &Client) -> (String, Vec<String>) {
        let setup: Value = self.start_setup(c).await.json().await.expect("a setup key");
        let secret = setup["secret"].as_str().expect("a secret").to_owned();
        let confirm = self.confirm_setup(c, &self.code(&secret, 0)).await;
        assert_eq!(confirm.status(), StatusCode::OK);
        let body: Value = confirm.json().await.expect("recovery codes");
        let codes = body["recovery_codes"]
            .as_array()
            .expect("recovery codes")
            .iter()
            .map(|c| c.as_str().unwrap_or_default().to_owned())
            .collect();
        (secret, codes)
    }

    /// A client whose session has passed the password step of a 2FA account.
    pub async fn pending_client(&self, username: &str, password: &str) -> Client {
        let c = self.new_client();
        let r = self.login(&c, username, password).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.expect("JSON"), serde_json::json!({ "second_factor": true }));
        c
    }
}

/// Managing two-factor authentication once signed in.
impl TestApp {
    /// `POST /api/logout/others`: every other session of the account ends.
    pub async fn end_other_sessions(&self, client: &Client) -> Response {
        self.post(client, "logout/others", &[]).await
    }

    /// New recovery codes, for a current code.
    pub async fn regenerate_recovery_codes(&self, client: &Client, code: &str) -> Response {
        self.post(client, "2fa/recovery-codes", &[("otp", code)]).await
    }

    /// Turns 2FA off with the password and a code (or a recovery code).
    pub async fn disable_two_factor(&self, client: &Client, password: &str, code: &str) -> Response {
        self.post(client, "2fa/disable", &[("password", password), ("otp", code)]).await
    }

    /// The password (and, with 2FA on, a code) again, for sensitive changes.
    pub async fn reauthenticate(&self, client: &Client, password: &str, code: Option<&str>) -> Response {
        match code {
            Some(code) => self.post(client, "reauthenticate", &[("password", password), ("otp", code)]).await,
            None => self.post(client, "reauthenticate", &[("password", password)]).await,
        }
    }
}
