//! `/account/apps`: "Apps you use" (the OpenID Connect apps holding access to the account, each
//! with "Remove access", which revokes what it holds at once), and "App passwords".

use crate::paths;
use crate::{
    api::{
        apps::RemoveAppAccess,
        page_data::{load_apps_overview, AppView, AppsOverview},
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
                    Ok(AppsOverview { apps }) => Either::Left(view! {
                        <AppsCard apps />
                        <section class="card" aria-labelledby="app-passwords-heading">
                            <h2 id="app-passwords-heading">"App passwords"</h2>
                            <p id="no-app-passwords">"None yet."</p>
                        </section>
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
