//! The console's "Apps" section: each OpenID Connect app, who may use it ("Allowed groups",
//! empty: everyone), its policy, "Rotate secret" and "Delete"; a machine client (nobody signs in
//! to it) with its scopes instead; and "Add an app".

use crate::{
    api::console::{AddApp, AppRow, DeleteApp, RotateAppSecret, SetAppAccess},
    components::post_form::PostForm,
};
use leptos::prelude::*;
use server_fn::ServerFn;

#[component]
pub fn Apps(apps: Vec<AppRow>) -> impl IntoView {
    let empty = apps.is_empty().then(|| view! { <p>"No apps yet."</p> });
    view! {
        <section class="card" id="apps">
            <h2>"Apps"</h2>
            {empty}
            <ul class="apps" id="app-list">
                {apps.into_iter().map(|app| view! { <AppItem app /> }).collect_view()}
            </ul>
            <details>
                <summary>"Add an app"</summary>
                <PostForm action=AddApp::PATH class="form" id="add-app-form">
                    <label for="app-client-id">"Client id"</label>
                    <input id="app-client-id" name="client_id" type="text" autocomplete="off" required />
                    <label for="app-name">"Name"</label>
                    <input id="app-name" name="name" type="text" autocomplete="off" />
                    <label for="app-redirect-uris">"Redirect URIs (one per line)"</label>
                    <textarea id="app-redirect-uris" name="redirect_uris" rows="2" required></textarea>
                    <label for="app-policy">"Policy"</label>
                    <select id="app-policy" name="policy">
                        <option value="two_factor" selected>"two_factor"</option>
                        <option value="one_factor">"one_factor"</option>
                    </select>
                    <label for="app-groups">"Allowed groups"</label>
                    <input id="app-groups" name="allowed_groups" type="text" autocomplete="off" />
                    <button type="submit">"Add an app"</button>
                </PostForm>
            </details>
        </section>
    }
}

#[component]
fn AppItem(app: AppRow) -> impl IntoView {
    if app.machine {
        return view! { <MachineItem app /> }.into_any();
    }
    let AppRow { client_id, name, redirect_uris, policy, allowed_groups, .. } = app;
    let groups_id = format!("groups-{client_id}");
    let policy_id = format!("policy-{client_id}");
    let (id1, id2, id3, id4) = (client_id.clone(), client_id.clone(), client_id.clone(), client_id.clone());
    let (groups_for, policy_for) = (groups_id.clone(), policy_id.clone());
    let one_factor = policy == "one_factor";
    view! {
        <li class="app" data-client-id=id4>
            <p><strong>{name}</strong> " (" <code>{client_id}</code> ") · " {redirect_uris}</p>
            <PostForm action=SetAppAccess::PATH class="form inline-form">
                <input type="hidden" name="client_id" value=id1 />
                <label for=groups_for>"Allowed groups"</label>
                <input id=groups_id name="allowed_groups" type="text" value=allowed_groups autocomplete="off"
                    placeholder="everyone" />
                <label for=policy_for>"Policy"</label>
                <select id=policy_id name="policy">
                    <option value="two_factor" selected=!one_factor>"two_factor"</option>
                    <option value="one_factor" selected=one_factor>"one_factor"</option>
                </select>
                <button type="submit" class="secondary">"Save"</button>
            </PostForm>
            <p class="actions">
                <PostForm action=RotateAppSecret::PATH class="inline">
                    <input type="hidden" name="client_id" value=id2 />
                    <button type="submit" class="secondary">"Rotate secret"</button>
                </PostForm>
                <PostForm action=DeleteApp::PATH class="inline">
                    <input type="hidden" name="client_id" value=id3 />
                    <button type="submit" class="danger">"Delete"</button>
                </PostForm>
            </p>
        </li>
    }
    .into_any()
}

/// A machine client (`client_credentials` alone): its scopes instead of the redirect URIs, and no
/// groups or policy (nobody signs in to it); a new secret and deletion as for any app.
#[component]
fn MachineItem(app: AppRow) -> impl IntoView {
    let AppRow { client_id, name, scopes, .. } = app;
    let scopes = if scopes.is_empty() { "no scopes".to_owned() } else { format!("scopes: {scopes}") };
    let (id1, id2, id3) = (client_id.clone(), client_id.clone(), client_id.clone());
    view! {
        <li class="app machine" data-client-id=id3>
            <p><strong>{name}</strong> " (" <code>{client_id}</code> ") · machine client (client_credentials) · " {scopes}</p>
            <p class="actions">
                <PostForm action=RotateAppSecret::PATH class="inline">
                    <input type="hidden" name="client_id" value=id1 />
                    <button type="submit" class="secondary">"Rotate secret"</button>
                </PostForm>
                <PostForm action=DeleteApp::PATH class="inline">
                    <input type="hidden" name="client_id" value=id2 />
                    <button type="submit" class="danger">"Delete"</button>
                </PostForm>
            </p>
        </li>
    }
}
