//! The console's "Apps" section: each OpenID Connect app, who may use it, and its secret.

use crate::api::console::AppRow;
use leptos::prelude::*;

#[component]
pub fn Apps(apps: Vec<AppRow>) -> impl IntoView {
    let empty = apps.is_empty().then(|| view! { <p>"No apps yet."</p> });
    view! {
        <section class="card" id="apps">
            <h2>"Apps"</h2>
            {empty}
            <ul class="apps">
                {apps.into_iter().map(|app| view! {
                    <li>{app.name} " (" <code>{app.client_id}</code> ") · policy " {app.policy}
                        " · allowed groups: " {if app.allowed_groups.is_empty() { "everyone".to_owned() } else { app.allowed_groups }}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
