//! `/invite/{token}`: the registration form of an invitation link, or (410) a page saying the
//! link was used, revoked or has expired.

use crate::{
    api::invitation::{load_invitation, RegisterWithInvitation},
    components::{notices::FlashNotice, post_form::PostForm},
};
use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_params_map;
use server_fn::ServerFn;

#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let open = Resource::new(token, load_invitation);
    view! {
        <leptos_meta::Title text="Accept an invitation — Two-factor sign-in" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match open.await {
                    Ok(_) => Either::Left(view! { <InvitationForm token=token() /> }),
                    Err(e) => Either::Right(view! {
                        <Gone />
                        <h1>"This invitation cannot be used"</h1>
                        <p class="notice error" role="alert">{e.error}</p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InvitationForm(token: String) -> impl IntoView {
    view! {
        <h1>"Create your account"</h1>
        <p>"You were invited to this service. Choose a username and a password."</p>
        <FlashNotice />
        <PostForm action=RegisterWithInvitation::PATH class="form" id="invitation-form">
            <input type="hidden" name="token" value=token />
            <label for="username">"Username"</label>
            <input id="username" name="username" type="text" autocomplete="username" required
                autocapitalize="none" spellcheck="false" />
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" />
            <button type="submit">"Create account"</button>
        </PostForm>
    }
}

/// Answers 410 Gone: the link existed (or never did) and cannot be used again.
#[component]
fn Gone() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::GONE);
    }
}
