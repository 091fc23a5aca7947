//! `/admin`: the operator's console front page — people (search, paging, a new account),
//! invitations, apps, the access rules as loaded with "check a URL", and the admin log. Anyone
//! who is not a signed-in administrator gets the "Page not found" page (404).

use crate::{
    api::console::{
        load_console, CheckUrl, ConsoleOverview, CreateInvitation, CreatePerson, InvitationRow, PersonRow,
        RevokeInvitation,
    },
    components::{notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm},
    pages::not_found::NotFound,
    paths,
};
use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_query_map;
use server_fn::ServerFn;

#[component]
pub fn ConsolePage() -> impl IntoView {
    let query = use_query_map();
    let overview = Resource::new(
        move || query.with(|q| (q.get("search"), q.get("page").and_then(|p| p.parse::<i64>().ok()))),
        |(search, page)| load_console(search, page),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(console) => Either::Left(view! { <Console console /> }),
                    Err(_) => Either::Right(view! { <NotFound /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Console(console: ConsoleOverview) -> impl IntoView {
    let ConsoleOverview {
        search,
        page,
        more,
        people,
        invitations,
        apps,
        rules,
        log,
        recently_authenticated,
        code_digits,
        mail,
    } = console;
    let reauthenticate = (!recently_authenticated).then(|| {
        view! {
            <section class="card">
                <h2>"Confirm it is you"</h2>
                <ReauthenticateForm with_code=true digits=code_digits />
            </section>
        }
    });
    view! {
        <leptos_meta::Title text="Console — Two-factor sign-in" />
        <h1>"Console"</h1>
        <FlashNotice />
        {reauthenticate}
        <People search people page more />
        <Invitations invitations mail />
        <super::console_apps::Apps apps />
        <AccessRules rules />
        <section class="card">
            <h2>"Admin log"</h2>
            <table class="activity" id="admin-log">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"On"</th></tr></thead>
                <tbody>
                    {log.into_iter().map(|e| view! {
                        <tr><td>{e.at_utc}</td><td>{e.admin}</td><td>{e.action}</td><td>{e.subject}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

fn page_link(search: &str, page: i64) -> String {
    format!("{}?search={}&page={page}", paths::CONSOLE, crate::uri::encode_component(search))
}

#[component]
fn People(search: String, people: Vec<PersonRow>, page: i64, more: bool) -> impl IntoView {
    let previous = (page > 0).then(|| view! { <a href=page_link(&search, page - 1) rel="prev">"Previous page"</a> });
    let next = more.then(|| view! { <a href=page_link(&search, page + 1) rel="next">"Next page"</a> });
    let empty = people.is_empty().then(|| view! { <p>"Nobody matches."</p> });
    view! {
        <section class="card" id="people">
            <h2>"People"</h2>
            <form method="get" action=paths::CONSOLE class="form search" role="search">
                <label for="people-search">"Search people"</label>
                <input id="people-search" name="search" type="search" value=search maxlength="100" />
                <button type="submit" class="secondary">"Search"</button>
            </form>
            {empty}
            <ul class="people" id="people-list">
                {people.into_iter().map(|p| {
                    let href = paths::console_person(&p.username);
                    let details = [
                        p.display_name.filter(|n| !n.is_empty()),
                        p.email.filter(|e| !e.is_empty()),
                        (!p.groups.is_empty()).then(|| format!("groups: {}", p.groups)),
                        Some(if p.two_factor { "2FA on".to_owned() } else { "2FA off".to_owned() }),
                        p.disabled.then(|| "disabled".to_owned()),
                    ].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                    view! { <li><a href=href>{p.username}</a> " " <span class="muted">{details}</span></li> }
                }).collect_view()}
            </ul>
            <p class="paging">{previous} " " {next}</p>
            <details>
                <summary>"Create an account"</summary>
                <PostForm action=CreatePerson::PATH class="form" id="create-person-form">
                    <label for="new-username">"Username"</label>
                    <input id="new-username" name="username" type="text" autocomplete="off" required />
                    <label for="new-password">"Password"</label>
                    <input id="new-password" name="password" type="password" autocomplete="new-password" required />
                    // Not "Groups": that label is the invitation form's, on the same page.
                    <label for="new-groups">"Member of"</label>
                    <input id="new-groups" name="groups" type="text" autocomplete="off" aria-describedby="new-groups-hint" />
                    <p class="hint" id="new-groups-hint">"Groups, comma-separated."</p>
                    <button type="submit">"Create account"</button>
                </PostForm>
            </details>
        </section>
    }
}

/// The invitations, and the form that makes one. With mail on, an address in "Email" gets the
/// link by mail, and the page shows it to nobody.
#[component]
fn Invitations(invitations: Vec<InvitationRow>, mail: bool) -> impl IntoView {
    let email = mail.then(|| {
        view! {
            <label for="invitation-email">"Email"</label>
            <input id="invitation-email" name="email" type="email" autocomplete="off" maxlength="254" />
            <p class="hint" id="invitation-email-hint">"Optional: the link is mailed to this address instead of shown here."</p>
        }
    });
    view! {
        <section class="card" id="invitations">
            <h2>"Invitations"</h2>
            <PostForm action=CreateInvitation::PATH class="form" id="create-invitation-form">
                <label for="invitation-groups">"Groups"</label>
                <input id="invitation-groups" name="groups" type="text" autocomplete="off" />
                <label for="invitation-days">"Valid for (days)"</label>
                <input id="invitation-days" name="days" type="number" min="1" max="365" value="7" />
                <label class="checkbox">
                    <input type="checkbox" name="require_2fa" value="true" />
                    " Require two-factor authentication"
                </label>
                {email}
                <button type="submit">"Create an invitation"</button>
            </PostForm>
            <ul class="invitations" id="invitation-list">
                {invitations.into_iter().map(|i| {
                    let summary = format!(
                        "{} · groups: {} · {} · by {} · until {}{}",
                        i.id,
                        if i.groups.is_empty() { "none" } else { &i.groups },
                        i.state,
                        i.created_by,
                        i.expires_at_utc,
                        i.used_by.map(|u| format!(" · used by {u}")).unwrap_or_default(),
                    );
                    let two_factor = i.require_two_factor.then_some(" · 2FA required");
                    let revoke = (i.state == "open").then(|| view! {
                        <PostForm action=RevokeInvitation::PATH class="inline">
                            <input type="hidden" name="id" value=i.id.clone() />
                            <button type="submit" class="secondary">"Revoke"</button>
                        </PostForm>
                    });
                    view! { <li data-state=i.state.clone()>{summary}{two_factor} {revoke}</li> }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn AccessRules(rules: Vec<String>) -> impl IntoView {
    view! {
        <section class="card" id="access-rules">
            <h2>"Access rules"</h2>
            <p>"As loaded from the rules file (read-only: change the file and restart to change them)."</p>
            <ol class="rules">{rules.into_iter().map(|r| view! { <li><code>{r}</code></li> }).collect_view()}</ol>
            <h3>"Check a URL"</h3>
            <PostForm action=CheckUrl::PATH class="form" id="check-url-form">
                <label for="check-url">"URL"</label>
                <input id="check-url" name="url" type="url" required placeholder="https://app.example.com/path" />
                <label for="check-user">"Person (empty: nobody signed in)"</label>
                <input id="check-user" name="username" type="text" autocomplete="off" />
                <label for="check-method">"Method"</label>
                <select id="check-method" name="method">
                    <option>"GET"</option><option>"POST"</option><option>"PUT"</option>
                    <option>"PATCH"</option><option>"DELETE"</option><option>"HEAD"</option>
                </select>
                <label for="check-from">"From address (empty: unknown, in no network)"</label>
                <input id="check-from" name="from" type="text" autocomplete="off" placeholder="192.168.1.5" />
                <button type="submit" class="secondary">"Check"</button>
            </PostForm>
        </section>
    }
}
