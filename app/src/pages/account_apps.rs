//! `/account/apps`: "Apps you use" (the OpenID Connect apps holding access to the account, each
//! with "Remove access", which revokes what it holds at once), and "App passwords".

use crate::paths;
use crate::{
    api::{
        app_passwords::{CreateAppPassword, RevokeAppPassword},
        apps::RemoveAppAccess,
        page_data::{load_apps_overview, AppPasswordView, AppView, AppsOverview},
    },
    components::{account_nav::AccountNav, notices::FlashNotice, post_form::PostForm},
    islands::local_time::LocalTime,
};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn AppsPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_apps_overview());
    view! {
        <leptos_meta::Title text="Apps you use — Two-factor sign-in" />
        <AccountNav current=paths::APPS />
        <h1>"Apps"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(AppsOverview { apps, app_passwords }) => Either::Left(view! {
                        <AppsCard apps />
                        <AppPasswordsCard app_passwords />
                    }),
                    Err(e) => Either::Right(view! {
                        <p class="notice error" role="alert">{e.error}</p>
                        <p><a href={paths::LOGIN}>"Sign in"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppsCard(apps: Vec<AppView>) -> impl IntoView {
    let listed = if apps.is_empty() {
        Either::Left(view! { <p id="no-apps">"No app holds access to your account."</p> })
    } else {
        let rows = apps
            .into_iter()
            .map(|app| {
                let label = format!("Remove access for {}", app.name);
                view! {
                    <li class="item">
                        <p class="item-title"><strong>{app.name}</strong> " " <span class="hint">{app.client_id.clone()}</span></p>
                        <p class="item-facts">
                            <span>"Last signed in " <LocalTime at=app.last_sign_in utc=app.last_sign_in_utc /></span>
                        </p>
                        <PostForm action=RemoveAppAccess::PATH class="inline-form">
                            <input type="hidden" name="client_id" value=app.client_id />
                            <button type="submit" class="secondary" aria-label=label>"Remove access"</button>
                        </PostForm>
                    </li>
                }
            })
            .collect_view();
        Either::Right(view! { <ul class="item-list" id="apps">{rows}</ul> })
    };
    view! {
        <section class="card" aria-labelledby="apps-heading">
            <h2 id="apps-heading">"Apps you use"</h2>
            <p>"Apps you signed in to with this account, which can still act for you. Remove access from any you no longer use: it must ask you to sign in again."</p>
            {listed}
        </section>
    }
}

/// "App passwords": the form that makes one (shown once, in the page's message), and each one
/// with "Revoke".
#[component]
fn AppPasswordsCard(app_passwords: Vec<AppPasswordView>) -> impl IntoView {
    let listed = if app_passwords.is_empty() {
        Either::Left(view! { <p id="no-app-passwords">"None yet."</p> })
    } else {
        let rows = app_passwords
            .into_iter()
            .map(|p| {
                let label = format!("Revoke {}", p.name);
                let hosts = if p.hosts.is_empty() {
                    "any host that allows app passwords".to_owned()
                } else {
                    p.hosts.join(", ")
                };
                let last_used = match (p.last_used, p.last_used_utc) {
                    (Some(at), Some(utc)) => {
                        let from = p.last_used_from.map(|from| format!(" from {from}")).unwrap_or_default();
                        Either::Left(view! { <span>"Last used " <LocalTime at utc />{from}</span> })
                    }
                    _ => Either::Right(view! { <span>"Never used"</span> }),
                };
                let expiry = match (p.expires, p.expires_utc) {
                    (Some(at), Some(utc)) => {
                        let word = if p.expired { "Expired " } else { "Expires " };
                        Either::Left(view! { <span>{word} <LocalTime at utc /></span> })
                    }
                    _ => Either::Right(view! { <span>"No expiry"</span> }),
                };
                view! {
                    <li class="item">
                        <p class="item-title"><strong>{p.name}</strong></p>
                        <p class="item-facts">
                            <span>"Created " <LocalTime at=p.created utc=p.created_utc /></span>
                            {last_used}
                            {expiry}
                            <span>"Hosts: " {hosts}</span>
                        </p>
                        <PostForm action=RevokeAppPassword::PATH class="inline-form">
                            <input type="hidden" name="id" value=p.id.to_string() />
                            <button type="submit" class="secondary" aria-label=label>"Revoke"</button>
                        </PostForm>
                    </li>
                }
            })
            .collect_view();
        Either::Right(view! { <ul class="item-list" id="app-passwords">{rows}</ul> })
    };
    view! {
        <section class="card" aria-labelledby="app-passwords-heading">
            <h2 id="app-passwords-heading">"App passwords"</h2>
            <p>"For scripts and mobile apps that cannot sign in through this page: they send your username and an app password (HTTP Basic), or the app password alone (Bearer), and pass only where the site allows app passwords. Each is shown once."</p>
            {listed}
            <PostForm action=CreateAppPassword::PATH class="form" id="app-password-form">
                <label for="app_password_name">"Name"</label>
                <input id="app_password_name" name="name" type="text" required maxlength="64" autocomplete="off" />
                <label for="app_password_days">"Valid for (days)"</label>
                <input id="app_password_days" name="days" type="number" min="1" max="3650" inputmode="numeric" />
                <p class="hint">"Empty: no expiry."</p>
                <label for="app_password_hosts">"Hosts"</label>
                <input id="app_password_hosts" name="hosts" type="text" autocomplete="off" placeholder="app.example.com, *.example.org" />
                <p class="hint">"Empty: every host whose rule allows app passwords."</p>
                <button type="submit">"Create an app password"</button>
            </PostForm>
        </section>
    }
}
