//! The console's "Apps": the OpenID Connect apps, through the same functions as the command
//! line (`openid::store::apps`), each change written to the admin log. A secret is returned
//! once, to be shown once.

use super::admin::Admin;
use crate::{
    error::AuthError,
    input,
    openid::store::{
        apps::{Apps, ListedApp},
        clients::{AppError, ClientPolicy, GrantType, NewClient},
    },
    services::Services,
};
use secrecy::{ExposeSecret, SecretString};

fn refused(error: AppError) -> AuthError {
    match error {
        AppError::BadInput(why) => AuthError::BadInput(why),
        AppError::NoSuchClient(id) => AuthError::BadInput(format!("There is no app {id:?}.")),
        AppError::Taken(id) => AuthError::Conflict(format!("There is already an app {id:?}: choose another id.")),
        AppError::PublicClient(id) => {
            AuthError::Conflict(format!("{id:?} is a public app: it has no secret (it uses PKCE)."))
        }
        AppError::MachineClient(id) => AuthError::Conflict(format!(
            "{id:?} is a machine client: nobody signs in to it, so it has no allowed groups or policy."
        )),
        AppError::Failed(e) => e,
    }
}

fn policy(field: &str) -> Result<ClientPolicy, AuthError> {
    let field = field.trim();
    if field.is_empty() {
        return Ok(ClientPolicy::TwoFactor);
    }
    ClientPolicy::parse(field).ok_or_else(|| AuthError::BadInput("The policy is one_factor or two_factor.".to_owned()))
}

pub async fn list(services: &Services) -> Result<Vec<ListedApp>, AuthError> {
    Apps::of(services).list().await.map_err(refused)
}

/// What the "Add an app" form says. Redirect URIs: one per line (or separated by spaces).
pub struct AppRequest<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub redirect_uris: &'a str,
    pub policy: &'a str,
    pub allowed_groups: &'a str,
}

/// Registers a confidential app; returns its secret, to be shown once.
pub async fn add(services: &Services, admin: &Admin, request: &AppRequest<'_>) -> Result<String, AuthError> {
    let client = NewClient {
        client_id: request.client_id.trim().to_owned(),
        name: Some(request.name.trim().to_owned()).filter(|n| !n.is_empty()),
        redirect_uris: request.redirect_uris.split_whitespace().map(str::to_owned).collect(),
        post_logout_redirect_uris: Vec::new(),
        public: false,
        policy: policy(request.policy)?,
        allowed_groups: input::groups(request.allowed_groups)?,
        allow_insecure_http: false,
        grant_types: vec![GrantType::AuthorizationCode],
        scopes: Vec::new(),
    };
    if client.redirect_uris.is_empty() {
        return Err(AuthError::BadInput("Give at least one redirect URI.".to_owned()));
    }
    let secret = Apps::of(services).add(&client, services.now()).await.map_err(refused)?;
    admin.log(services, "app.added", &client.client_id).await;
    Ok(secret.map(|s: SecretString| s.expose_secret().to_owned()).unwrap_or_default())
}

pub async fn delete(services: &Services, admin: &Admin, client_id: &str) -> Result<(), AuthError> {
    Apps::of(services).delete(client_id.trim()).await.map_err(refused)?;
    admin.log(services, "app.deleted", client_id.trim()).await;
    Ok(())
}

/// A new secret (the old one stops working at once); returned to be shown once.
pub async fn rotate_secret(services: &Services, admin: &Admin, client_id: &str) -> Result<String, AuthError> {
    let secret = Apps::of(services).rotate_secret(client_id.trim()).await.map_err(refused)?;
    admin.log(services, "app.secret_rotated", client_id.trim()).await;
    Ok(secret.expose_secret().to_owned())
}

/// Who the app is open to (`groups` comma-separated; empty: everyone) and its policy.
pub async fn set_access(
    services: &Services,
    admin: &Admin,
    client_id: &str,
    groups: &str,
    policy_field: &str,
) -> Result<(), AuthError> {
    let apps = Apps::of(services);
    let groups = input::groups(groups)?;
    apps.set_allowed_groups(client_id.trim(), &groups).await.map_err(refused)?;
    apps.set_policy(client_id.trim(), policy(policy_field)?).await.map_err(refused)?;
    admin.log(services, "app.access_changed", client_id.trim()).await;
    Ok(())
}
