//! The registered apps as the console and the operator change them (`openid::store::apps`):
//! every change forgets what the server keeps of the client in memory, refusals are typed, and a
//! list carries no secret. Manual clock, in-memory SQLite.

// `clippy.toml` allows unwrap and expect in `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use domain::{
    clock::Clock,
    openid::{
        grant::Grant,
        store::{
            access_cache::Entry,
            apps::{Apps, ListedApp},
            clients::{AppError, ClientPolicy, NewClient},
        },
    },
    Services,
};
use secrecy::ExposeSecret;
use std::sync::Arc;
use support::START;

fn wiki(groups: &[&str]) -> NewClient {
    NewClient {
        client_id: "wiki".into(),
        name: Some("Example Wiki".into()),
        redirect_uris: vec!["https://wiki.example.test/callback".into()],
        post_logout_redirect_uris: vec![],
        public: false,
        policy: ClientPolicy::TwoFactor,
        allowed_groups: groups.iter().map(|g| g.to_string()).collect(),
        allow_insecure_http: false,
        grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
        scopes: vec![],
    }
}

/// Reads `client_id` into the server's copy (as a token request does), and says it is kept.
async fn keep(services: &Services, client_id: &str) {
    services.clients.refresh(&services.db, client_id).await.unwrap();
    assert!(services.clients.get(client_id).is_some(), "kept before the change");
}

#[tokio::test]
async fn every_change_to_an_app_forgets_the_servers_copy_of_it() {
    let services = support::services(Clock::manual(START)).await;
    let apps = Apps::of(&services);
    apps.add(&wiki(&[]), services.now()).await.unwrap().expect("a confidential client's secret");

    keep(&services, "wiki").await;
    apps.set_allowed_groups("wiki", &["wiki-users".into()]).await.unwrap();
    assert!(services.clients.get("wiki").is_none(), "after new allowed groups");

    keep(&services, "wiki").await;
    apps.set_policy("wiki", ClientPolicy::OneFactor).await.unwrap();
    assert!(services.clients.get("wiki").is_none(), "after a new policy");

    keep(&services, "wiki").await;
    apps.rotate_secret("wiki").await.unwrap();
    assert!(services.clients.get("wiki").is_none(), "after a new secret");

    // The live access token userinfo keeps for the app goes with it.
    keep(&services, "wiki").await;
    let grant = Grant {
        grant_id: "g".into(),
        client_id: "wiki".into(),
        user_id: 1,
        scope: "openid".into(),
        auth_time: START,
        amr: "pwd".into(),
    };
    let entry = Entry { grant, subject: "s".into(), expires_at: START + 3600, outside_changes: 0 };
    let generation = services.access_tokens.generation();
    services.access_tokens.keep("token-hash".into(), Arc::new(entry), generation);
    assert!(services.access_tokens.get("token-hash").is_some());
    apps.delete("wiki").await.unwrap();
    assert!(services.clients.get("wiki").is_none(), "after the delete");
    assert!(services.access_tokens.get("token-hash").is_none(), "its tokens' copy too");
}

#[tokio::test]
async fn an_apps_groups_policy_and_secret_are_changed_and_listed_without_the_secret() {
    let services = support::services(Clock::manual(START)).await;
    let apps = Apps::of(&services);
    let first = apps.add(&wiki(&["wiki-users", "staff"]), services.now()).await.unwrap().unwrap();
    let listed = apps.list().await.unwrap();
    assert_eq!(
        listed,
        [ListedApp {
            client_id: "wiki".into(),
            name: "Example Wiki".into(),
            public: false,
            redirect_uris: vec!["https://wiki.example.test/callback".into()],
            post_logout_redirect_uris: vec![],
            policy: ClientPolicy::TwoFactor,
            allowed_groups: vec!["wiki-users".into(), "staff".into()],
            created_at: START,
            grant_types: vec![domain::openid::store::clients::GrantType::AuthorizationCode],
            scopes: vec![],
        }]
    );

    apps.set_allowed_groups("wiki", &[]).await.unwrap();
    apps.set_policy("wiki", ClientPolicy::OneFactor).await.unwrap();
    let listed = &apps.list().await.unwrap()[0];
    assert!(listed.allowed_groups.is_empty(), "open to everyone again");
    assert_eq!(listed.policy, ClientPolicy::OneFactor);

    let second = apps.rotate_secret("wiki").await.unwrap();
    assert_ne!(first.expose_secret(), second.expose_secret());
    let stored = services.clients.refresh(&services.db, "wiki").await.unwrap().unwrap();
    assert!(stored.secret_matches(second.expose_secret()), "the new secret is the client's");
    assert!(!stored.secret_matches(first.expose_secret()), "the old one no longer is");
}

#[tokio::test]
async fn changes_the_apps_cannot_take_are_typed_refusals_that_change_nothing() {
    let services = support::services(Clock::manual(START)).await;
    let apps = Apps::of(&services);
    apps.add(&wiki(&[]), services.now()).await.unwrap();
    let spa = NewClient { client_id: "spa".into(), public: true, ..wiki(&[]) };
    assert!(apps.add(&spa, services.now()).await.unwrap().is_none(), "a public client has no secret");

    assert!(matches!(apps.add(&wiki(&[]), services.now()).await, Err(AppError::Taken(id)) if id == "wiki"));
    assert!(matches!(
        apps.add(&NewClient { client_id: "x".into(), ..wiki(&["a,b"]) }, 0).await,
        Err(AppError::BadInput(_))
    ));
    assert!(matches!(apps.set_allowed_groups("wiki", &["ad mins".into()]).await, Err(AppError::BadInput(_))));
    assert!(matches!(apps.set_allowed_groups("nobody", &[]).await, Err(AppError::NoSuchClient(_))));
    assert!(matches!(apps.set_policy("nobody", ClientPolicy::OneFactor).await, Err(AppError::NoSuchClient(_))));
    assert!(matches!(apps.rotate_secret("nobody").await, Err(AppError::NoSuchClient(_))));
    assert!(matches!(apps.rotate_secret("spa").await, Err(AppError::PublicClient(_))));
    assert!(matches!(apps.delete("nobody").await, Err(AppError::NoSuchClient(_))));

    let listed = apps.list().await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|app| app.client_id.as_str()).collect();
    assert_eq!(ids, ["spa", "wiki"]);
    assert!(listed.iter().all(|app| app.allowed_groups.is_empty()), "no bad group stored");
}
