//! `/account/sessions`: "Your sessions" (each signed-in session of the account, this one marked,
//! the others with "End"; and "End every other session"), "Remembered devices", and the recent
//! security activity. Ending a session needs a recent sign-in: until then the page shows the
//! form that confirms it instead of the buttons.

use crate::paths;
use crate::{
    api::{
        page_data::{
            load_sessions_overview, DeviceView, ReauthenticationAsks, SecurityEvent, SessionView, SessionsOverview,
        },
        sessions::{EndSession, ForgetDevice},
        sign_in::SignOutOtherSessions,
    },
    components::{
        account_nav::AccountNav, notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm,
    },
    islands::local_time::LocalTime,
};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_sessions_overview());
    view! {
        <leptos_meta::Title text="Your sessions — Two-factor sign-in" />
        <AccountNav current=paths::SESSIONS />
        <h1>"Sessions"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => Either::Left(view! { <SessionsDetails overview /> }),
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
fn SessionsDetails(overview: SessionsOverview) -> impl IntoView {
    let SessionsOverview { sessions, recently_authenticated, reauthentication, events, devices } = overview;
    view! {
        <YourSessionsCard sessions recently_authenticated reauthentication />
        <RememberedDevicesCard devices />
        <ActivityCard events />
    }
}

/// The browsers where the password alone signs in ("Don't ask again on this device"), each
/// with "Forget" (no recent sign-in needed: forgetting only takes away).
#[component]
fn RememberedDevicesCard(devices: Vec<DeviceView>) -> impl IntoView {
    let list = if devices.is_empty() {
        Either::Left(view! { <p id="no-remembered-devices">"None yet."</p> })
    } else {
        let rows = devices.into_iter().map(|device| view! { <DeviceRow device /> }).collect_view();
        Either::Right(view! { <ul class="item-list" id="remembered-devices">{rows}</ul> })
    };
    view! {
        <section class="card" aria-labelledby="remembered-devices-heading">
            <h2 id="remembered-devices-heading">"Remembered devices"</h2>
            <p>"Browsers where your password alone signs you in, without a code. Forget any you do not recognise, or no longer use."</p>
            {list}
        </section>
    }
}

#[component]
fn DeviceRow(device: DeviceView) -> impl IntoView {
    let DeviceView {
        handle,
        browser,
        client_address,
        remembered_at,
        remembered_at_utc,
        last_used_at,
        last_used_at_utc,
        expires_at,
        expires_at_utc,
        this_device,
    } = device;
    let label = format!("Forget {browser}, remembered {remembered_at_utc}");
    let marker = this_device.then(|| view! { " " <span class="badge on">"This device"</span> });
    view! {
        <li class="item" data-this-device=this_device.to_string()>
            <p class="item-title"><strong>{browser}</strong>{marker}</p>
            <p class="item-facts">
                <span>"Address: " {client_address.unwrap_or_else(|| "unknown".into())}</span>
                <span>"Since " <LocalTime at=remembered_at utc=remembered_at_utc /></span>
                <span>"Last used " <LocalTime at=last_used_at utc=last_used_at_utc /></span>
                <span>"Until " <LocalTime at=expires_at utc=expires_at_utc /></span>
            </p>
            <PostForm action=ForgetDevice::PATH class="inline-form">
                <input type="hidden" name="device" value=handle />
                <button type="submit" class="secondary" aria-label=label>"Forget"</button>
            </PostForm>
        </li>
    }
}

/// The signed-in sessions; with a recent sign-in, "End" on each other one and "End every other
/// session" (a stale session must not be able to throw the owner out), else the form that
/// confirms the password (and a code) first.
#[component]
fn YourSessionsCard(
    sessions: Vec<SessionView>,
    recently_authenticated: bool,
    reauthentication: ReauthenticationAsks,
) -> impl IntoView {
    let rows = sessions
        .into_iter()
        .map(|session| view! { <SessionRow session can_end=recently_authenticated /> })
        .collect_view();
    let actions = if recently_authenticated {
        Either::Left(view! {
            <PostForm action=SignOutOtherSessions::PATH class="form">
                <button type="submit" class="secondary">"End every other session"</button>
            </PostForm>
        })
    } else {
        let ReauthenticationAsks { code, digits, security_key } = reauthentication;
        Either::Right(view! {
            <p id="end-sessions-locked">"To end a session, confirm it is you first: your last sign-in was more than 10 minutes ago."</p>
            <ReauthenticateForm with_code=code digits security_key />
        })
    };
    view! {
        <section class="card" aria-labelledby="your-sessions-heading">
            <h2 id="your-sessions-heading">"Your sessions"</h2>
            <p>"Where your account is signed in now. End any session you do not recognise, or no longer use."</p>
            <ul class="item-list" id="sessions">{rows}</ul>
            {actions}
        </section>
    }
}

#[component]
fn SessionRow(session: SessionView, can_end: bool) -> impl IntoView {
    let SessionView {
        handle,
        browser,
        client_address,
        signed_in_at,
        signed_in_at_utc,
        last_used_at,
        last_used_at_utc,
        this_session,
    } = session;
    let end = (can_end && !this_session).then(|| {
        let label = format!("End the session of {browser}, last used {last_used_at_utc}");
        view! {
            <PostForm action=EndSession::PATH class="inline-form">
                <input type="hidden" name="session" value=handle />
                <button type="submit" class="secondary" aria-label=label>"End"</button>
            </PostForm>
        }
    });
    let marker = this_session.then(|| view! { " " <span class="badge on">"This session"</span> });
    view! {
        <li class="item" data-this-session=this_session.to_string()>
            <p class="item-title"><strong>{browser}</strong>{marker}</p>
            <p class="item-facts">
                <span>"Address: " {client_address.unwrap_or_else(|| "unknown".into())}</span>
                <span>"Signed in " <LocalTime at=signed_in_at utc=signed_in_at_utc /></span>
                <span>"Last used " <LocalTime at=last_used_at utc=last_used_at_utc /></span>
            </p>
            {end}
        </li>
    }
}

#[component]
fn ActivityCard(events: Vec<SecurityEvent>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent security activity"</h2>
            <div class="table-scroll">
                <table class="activity" id="security-log">
                    <thead>
                        <tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"From"</th></tr>
                    </thead>
                    <tbody>
                        {events.into_iter().map(|e| view! {
                            <tr data-kind=e.kind.clone()>
                                <td><LocalTime at=e.at utc=e.at_utc /></td>
                                <td>
                                    {event_words(&e.kind)}
                                    {e.key_name.map(|name| format!(": {name}"))}
                                </td>
                                <td>{e.client_address.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// What a security event means to the account's owner. The log stores only the event's kind
/// (`domain::storage::security_log::Event::kind`): the words are the page's.
pub(crate) fn event_words(kind: &str) -> &'static str {
    match kind {
        "sign_in.success.password" => "Signed in with password",
        "sign_in.success.totp" => "Signed in with password and authenticator code",
        "sign_in.success.recovery_code" => "Signed in with password and a recovery code",
        "sign_in.failure.password" => "Failed sign-in: wrong password",
        "sign_in.failure.totp" => "Failed sign-in: wrong authenticator code",
        "sign_in.failure.recovery_code" => "Failed sign-in: wrong recovery code",
        "second_factor.locked" => "Sign-in with codes locked after too many wrong codes",
        "two_factor.enabled" => "Two-factor authentication turned on",
        "two_factor.disabled" => "Two-factor authentication turned off",
        "recovery_codes.regenerated" => "New recovery codes made (the old ones no longer work)",
        "reauthenticated" => "Confirmed password and code for a sensitive change",
        "sessions.ended_others" => "Signed out of every other session",
        "account.registered" => "Account created",
        "two_factor.reset_by_operator" => "Two-factor authentication turned off by an administrator",
        "account.disabled_by_operator" => "Account disabled by an administrator",
        "account.enabled_by_operator" => "Account enabled again by an administrator",
        "sessions.ended_by_operator" => "All sessions ended by an administrator",
        "groups.changed_by_operator" => "Groups changed by an administrator",
        "profile.changed_by_operator" => "Name or email changed by an administrator",
        "account.registered_by_invitation" => "Account created with an invitation",
        "throttling.cleared_by_operator" => "Sign-in limits cleared by an administrator",
        "sign_in.success.security_key" => "Signed in with password and a security key",
        "sign_in.success.passkey" => "Signed in with a passkey",
        "sign_in.failure.security_key" => "Failed sign-in: a security key was not accepted",
        "security_key.added" => "Security key added",
        "security_key.removed" => "Security key removed",
        "sessions.ended_one" => "Signed out of another session",
        "sessions.ended_all" => "Signed out of every session",
        "oidc.access_removed" => "Access removed from an app",
        "app_password.created" => "App password created",
        "app_password.revoked" => "App password revoked",
        "sign_in.success.remembered_device" => "Signed in with password on a remembered device",
        "remembered_device.added" => "Device remembered: no code asked there",
        "remembered_device.forgotten" => "Remembered device forgotten",
        "sign_in.new_device" => "Right password from a new device",
        "password.reset" => "Password reset with a link sent by email",
        "email.changed" => "Email address changed",
        "email.verified" => "Email address verified",
        _ => "Other account activity",
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use domain::storage::security_log::Event;

    /// Every kind the domain logs has words of its own on the page.
    #[test]
    fn every_logged_kind_is_worded() {
        for event in Event::ALL {
            assert_ne!(super::event_words(event.kind()), "Other account activity", "{}", event.kind());
        }
    }
}
