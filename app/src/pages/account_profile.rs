//! `/account/profile`: the display name and email the sign-in gate and the OpenID Connect
//! provider pass to apps. Changing the email needs a recent sign-in; until then the page shows
//! the form that confirms it. With mail on, an address not verified yet has "Send the link
//! again".

use crate::paths;
use crate::{
    api::{
        page_data::{load_profile_overview, ProfileOverview, ReauthenticationAsks},
        profile::{SaveProfile, SendVerificationLink},
    },
    components::{
        account_nav::AccountNav, notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm,
    },
};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_profile_overview());
    view! {
        <leptos_meta::Title text="Your profile — Two-factor sign-in" />
        <AccountNav current=paths::PROFILE />
        <h1>"Profile"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(profile) => Either::Left(view! { <ProfileCard profile /> }),
                    Err(e) => Either::Right(view! {
                        <p class="notice error" role="alert">{e.error}</p>
                        <p><a href={paths::LOGIN}>"Sign in"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

/// The display name and email the sign-in gate passes to the apps it protects. The address is
/// passed only once verified; changing it needs a recent sign-in (the form to confirm the
/// password follows), the display name does not.
#[component]
fn ProfileCard(profile: ProfileOverview) -> impl IntoView {
    let ProfileOverview { display_name, email, email_verified, recently_authenticated, reauthentication, mail } =
        profile;
    let status = (!email.is_empty()).then(|| {
        if email_verified {
            Either::Left(view! {
                <p id="email-status"><span class="badge on">"Verified"</span>
                    " Apps you sign in to are given this address."</p>
            })
        } else {
            let how = if mail {
                " Apps are not given this address until you open the link mailed to it, signed in to this account."
            } else {
                " Apps are not given this address until it is verified: ask the administrator to set it for you."
            };
            Either::Right(view! {
                <p id="email-status"><span class="badge off">"Not verified"</span>{how}</p>
            })
        }
    });
    // Its own form, after the profile's (forms do not nest).
    let send_again = (mail && !email.is_empty() && !email_verified).then(|| {
        view! {
            <PostForm action=SendVerificationLink::PATH class="inline" id="verification-link-form">
                <button type="submit" class="secondary">"Send the link again"</button>
            </PostForm>
        }
    });
    let locked = (!recently_authenticated).then(|| {
        view! {
            <p id="email-locked">"To change your email, confirm your password below first: your last sign-in was more than 10 minutes ago."</p>
        }
    });
    let confirm = (!recently_authenticated).then(|| {
        let ReauthenticationAsks { code, digits, security_key } = reauthentication;
        view! {
            <section class="card" aria-labelledby="confirm-heading">
                <h2 id="confirm-heading">"Confirm it is you"</h2>
                <ReauthenticateForm with_code=code digits security_key />
            </section>
        }
    });
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Display name and email"</h2>
            <p>"What the apps behind this sign-in are told about you, besides your username."</p>
            <PostForm action=SaveProfile::PATH class="form" id="profile-form">
                <label for="display_name">"Display name"</label>
                <input id="display_name" name="display_name" type="text" autocomplete="name" maxlength="100" value=display_name />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" maxlength="254" value=email
                    readonly=!recently_authenticated />
                {status}
                {locked}
                <button type="submit" class="secondary">"Save profile"</button>
            </PostForm>
            {send_again}
        </section>
        {confirm}
    }
}
