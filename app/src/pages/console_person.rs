//! `/admin/people/{username}`: one person in the console — groups, factors, last sign-in,
//! security log — and what an administrator may do to them.

use crate::{
    api::console::{
        load_person, DeletePerson, DisablePerson, EnablePerson, EndPersonSessions, PersonDetails, ResetPersonTwoFactor,
        SetPersonGroups, SetPersonProfile,
    },
    components::{notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm},
    pages::{account_sessions::event_words, not_found::NotFound},
    paths,
};
use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_params_map;
use server_fn::ServerFn;

#[component]
pub fn ConsolePersonPage() -> impl IntoView {
    let params = use_params_map();
    let person = Resource::new(move || params.with(|p| p.get("username").unwrap_or_default()), load_person);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match person.await {
                    Ok(person) => Either::Left(view! { <Person person /> }),
                    Err(_) => Either::Right(view! { <NotFound /> }),
                }
            })}
        </Suspense>
    }
}

/// A form with the person's username and one button.
#[component]
fn PersonButton(
    action: &'static str,
    username: String,
    label: &'static str,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <PostForm action=action class="inline">
            <input type="hidden" name="username" value=username />
            <button type="submit" class=class>{label}</button>
        </PostForm>
    }
}

#[component]
fn Person(person: PersonDetails) -> impl IntoView {
    let PersonDetails {
        username,
        display_name,
        email,
        email_verified,
        groups,
        app,
        security_keys,
        recovery_codes_left,
        disabled,
        created_at_utc,
        last_sign_in_utc,
        events,
        sessions,
        apps,
        recently_authenticated,
        code_digits,
    } = person;
    let no_sessions = sessions.is_empty().then(|| view! { <p>"No session is signed in."</p> });
    let no_apps = apps.is_empty().then(|| view! { <p>"No app holds tokens for them."</p> });
    let factors = match (app, security_keys) {
        (false, 0) => "none (password only)".to_owned(),
        (true, 0) => format!("authenticator app; {recovery_codes_left} recovery codes left"),
        (false, keys) => format!("{keys} security key(s); {recovery_codes_left} recovery codes left"),
        (true, keys) => {
            format!("authenticator app and {keys} security key(s); {recovery_codes_left} recovery codes left")
        }
    };
    let actions = if recently_authenticated {
        let (u1, u2, u3, u4, u5, u6) = (
            username.clone(),
            username.clone(),
            username.clone(),
            username.clone(),
            username.clone(),
            username.clone(),
        );
        let (name_now, email_now, groups_now) = (display_name.clone(), email.clone(), groups.clone());
        let toggle = if disabled {
            view! { <PersonButton action=EnablePerson::PATH username=u1 label="Enable" /> }
        } else {
            view! { <PersonButton action=DisablePerson::PATH username=u1 label="Disable" class="danger" /> }
        };
        Either::Left(view! {
            <section class="card" id="person-actions">
                <h2>"Actions"</h2>
                <p class="actions">
                    {toggle}
                    <PersonButton action=ResetPersonTwoFactor::PATH username=u2 label="Reset two-factor authentication" class="secondary" />
                    <PersonButton action=EndPersonSessions::PATH username=u3 label="End all sessions" class="secondary" />
                </p>
                <PostForm action=SetPersonGroups::PATH class="form" id="groups-form">
                    <input type="hidden" name="username" value=u4 />
                    <label for="person-groups">"Groups"</label>
                    <input id="person-groups" name="groups" type="text" value=groups_now autocomplete="off" />
                    <button type="submit" class="secondary">"Save groups"</button>
                </PostForm>
                <PostForm action=SetPersonProfile::PATH class="form" id="person-profile-form">
                    <input type="hidden" name="username" value=u5 />
                    <label for="person-display-name">"Display name"</label>
                    <input id="person-display-name" name="display_name" type="text" value=name_now autocomplete="off" />
                    <label for="person-email">"Email"</label>
                    <input id="person-email" name="email" type="email" value=email_now autocomplete="off" />
                    <button type="submit" class="secondary">"Save name and email"</button>
                </PostForm>
                <PostForm action=DeletePerson::PATH class="form" id="delete-person-form">
                    <input type="hidden" name="username" value=u6 />
                    <label for="delete-confirm">"Type the username to confirm"</label>
                    <input id="delete-confirm" name="confirm" type="text" autocomplete="off" required />
                    <button type="submit" class="danger">"Delete"</button>
                </PostForm>
            </section>
        })
    } else {
        Either::Right(view! {
            <section class="card" id="person-actions">
                <h2>"Actions"</h2>
                <ReauthenticateForm with_code=true digits=code_digits />
            </section>
        })
    };
    let title = format!("{username} — Console — Two-factor sign-in");
    view! {
        <leptos_meta::Title text=title />
        <p><a href=paths::CONSOLE>"← Console"</a></p>
        <h1>{username.clone()}</h1>
        <FlashNotice />
        <section class="card" id="person">
            <dl class="facts">
                <dt>"Status"</dt><dd id="person-status">{if disabled { "Disabled" } else { "Enabled" }}</dd>
                <dt>"Display name"</dt><dd>{display_name}</dd>
                <dt>"Email"</dt><dd>{email}{email_verified.then_some(" (verified)")}</dd>
                <dt>"Groups"</dt><dd id="person-groups-now">{groups}</dd>
                <dt>"Second factors"</dt><dd>{factors}</dd>
                <dt>"Created"</dt><dd>{created_at_utc}</dd>
                <dt>"Last sign-in"</dt><dd>{last_sign_in_utc.unwrap_or_else(|| "never".into())}</dd>
            </dl>
        </section>
        {actions}
        <section class="card" id="person-sessions">
            <h2>"Sessions"</h2>
            {no_sessions}
            <ul class="people">
                {sessions.into_iter().map(|s| view! {
                    <li>{s.browser} " · " {s.client_address.unwrap_or_default()}
                        " · signed in " {s.signed_in_utc} " · last used " {s.last_used_utc}</li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card" id="person-apps">
            <h2>"Apps"</h2>
            {no_apps}
            <ul class="people">
                {apps.into_iter().map(|a| view! {
                    <li>{a.name} " (" <code>{a.client_id}</code> ") · last sign-in " {a.last_sign_in_utc}</li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card">
            <h2>"Security log"</h2>
            <table class="activity" id="person-security-log">
                <thead><tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"From"</th></tr></thead>
                <tbody>
                    {events.into_iter().map(|e| view! {
                        <tr data-kind=e.kind.clone()><td>{e.at_utc}</td><td>{event_words(&e.kind)}</td><td>{e.client_address.unwrap_or_default()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
