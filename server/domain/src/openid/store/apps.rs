//! The registered apps as the operator manages them: list, add, delete, a new secret, the groups
//! an app is open to, its policy. The command line (`server oidc client …`) and the admin console
//! call these same functions; each change also forgets what this process keeps of the client in
//! memory (`docs/caches.md`):
//!
//! | change | `KeptClients` | `AccessCache` | tokens already issued |
//! |---|---|---|---|
//! | add | forgotten (a copy of an earlier registration under the id) | — | — |
//! | delete | forgotten | the client's entries forgotten | deleted |
//! | new secret | forgotten | — | stay |
//! | allowed groups | forgotten | — | stay; the next refresh of an account outside them fails |
//! | policy | forgotten | — | stay |
//!
//! Nothing here is trusted to the forgetting alone: the authorization request and the refresh
//! grant read the registration from the database, and the statement that exchanges a code
//! checks the kept copy against it (`clients::KeptClients`). So a change made by another process
//! (the operator's command beside a running server, another instance on PostgreSQL) takes effect
//! at once too; the command line still announces its changes (`storage::outside_changes`), for
//! the tokens a SQLite server keeps.

use super::{
    access_cache::AccessCache,
    clients::{self, AppError, Client, ClientPolicy, GrantType, KeptClients, NewClient},
};
use crate::services::Services;
use secrecy::SecretString;
use sqlx::AnyPool;

/// An app as a list shows it: never its secret, nor the secret's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedApp {
    pub client_id: String,
    /// Shown to people ("Example Wiki is open only to members of: …").
    pub name: String,
    /// A public client has no secret and must use PKCE.
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub policy: ClientPolicy,
    /// Empty: open to everyone.
    pub allowed_groups: Vec<String>,
    /// When it was registered (Unix seconds).
    pub created_at: i64,
    /// The grants it may use: `authorization_code` (people sign in to it), `client_credentials`
    /// (a machine client), or both.
    pub grant_types: Vec<GrantType>,
    /// What the `client_credentials` grant gives it.
    pub scopes: Vec<String>,
}

impl ListedApp {
    /// A machine client alone: nobody signs in to it (no redirect URIs, groups or policy).
    pub fn machine_only(&self) -> bool {
        !self.grant_types.contains(&GrantType::AuthorizationCode)
    }
}

impl From<&Client> for ListedApp {
    fn from(client: &Client) -> Self {
        ListedApp {
            client_id: client.client_id.clone(),
            name: client.name.clone(),
            public: client.is_public(),
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            policy: client.policy,
            allowed_groups: client.allowed_groups.clone(),
            created_at: client.registered_at,
            grant_types: client.grant_types.clone(),
            scopes: client.scopes.clone(),
        }
    }
}

/// The registered apps, with the copies of them this process keeps (cheap to make: the pool and
/// both copies are shared handles).
#[derive(Clone)]
pub struct Apps {
    db: AnyPool,
    clients: KeptClients,
    access_tokens: AccessCache,
}

impl Apps {
    /// The apps of a running server (the console): what it keeps is forgotten at every change.
    pub fn of(services: &Services) -> Self {
        Apps {
            db: services.db.clone(),
            clients: services.clients.clone(),
            access_tokens: services.access_tokens.clone(),
        }
    }

    /// The apps from a process that keeps no copy of them (the operator's command line); the
    /// caller announces its changes to a server beside it (`storage::outside_changes`).
    pub fn keeping_nothing(db: AnyPool) -> Self {
        Apps { db, clients: KeptClients::default(), access_tokens: AccessCache::default() }
    }

    /// Every app, by client id.
    pub async fn list(&self) -> Result<Vec<ListedApp>, AppError> {
        Ok(clients::list(&self.db).await?.iter().map(ListedApp::from).collect())
    }

    /// Registers an app. Returns its secret (a confidential client's), to be shown once: only its
    /// hash is kept.
    pub async fn add(&self, client: &NewClient, now: i64) -> Result<Option<SecretString>, AppError> {
        let secret = clients::add(&self.db, client, now).await?;
        self.clients.forget(&client.client_id);
        Ok(secret.map(SecretString::from))
    }

    /// Deletes an app and every token issued to it, at once (userinfo's copy too).
    pub async fn delete(&self, client_id: &str) -> Result<(), AppError> {
        let deleted = clients::delete(&self.db, &self.access_tokens, client_id).await?;
        self.clients.forget(client_id);
        deleted.then_some(()).ok_or_else(|| AppError::NoSuchClient(client_id.to_owned()))
    }

    /// A new secret for a confidential app, to be shown once; the old one is refused from the
    /// next token request on. Tokens already issued stay; a code issued before is exchanged with
    /// the new secret.
    pub async fn rotate_secret(&self, client_id: &str) -> Result<SecretString, AppError> {
        let secret = clients::new_secret(&self.db, client_id).await;
        self.clients.forget(client_id);
        Ok(SecretString::from(secret?))
    }

    /// Opens the app only to members of `groups` (group names; empty: to everyone), from the
    /// next authorization request and the next refresh on.
    pub async fn set_allowed_groups(&self, client_id: &str, groups: &[String]) -> Result<(), AppError> {
        clients::set_allowed_groups(&self.db, client_id, groups).await?;
        self.clients.forget(client_id);
        Ok(())
    }

    /// How the app's people must have signed in, from the next authorization request on.
    pub async fn set_policy(&self, client_id: &str, policy: ClientPolicy) -> Result<(), AppError> {
        clients::set_policy(&self.db, client_id, policy).await?;
        self.clients.forget(client_id);
        Ok(())
    }
}
