//! The password (and, with 2FA on, a code) again, when the last sign-in is older than the
//! re-authentication window and a sensitive change is wanted.

use crate::{
    api::manage_two_factor::Reauthenticate,
    components::{
        go_to,
        notices::{error_of, ActionError},
        otp_field::OtpField,
    },
};
use leptos::{either::Either, prelude::*};

#[component]
pub fn ReauthenticateForm(
    /// Ask for a code too (accounts with 2FA on).
    with_code: bool,
    /// How many digits the account's codes have.
    #[prop(default = 6)]
    digits: usize,
) -> impl IntoView {
    let reauthenticate = ServerAction::<Reauthenticate>::new();
    Effect::new(move || {
        if let Some(Ok(_)) = reauthenticate.value().get() {
            // Reload the page: the server now shows the change that was asked for.
            if let Some(path) = web_path() {
                go_to(&path);
            }
        }
    });
    let code = if with_code {
        Either::Left(view! { <OtpField autofocus=false submit_when_complete=false digits=digits /> })
    } else {
        Either::Right(view! { <input type="hidden" name="otp" value="" /> })
    };
    view! {
        <p>{if with_code {
            "For your security, confirm your password and a current code to make this change."
        } else {
            "For your security, confirm your password to make this change."
        }}</p>
        <ActionError message=Signal::derive(move || error_of(reauthenticate.value().get())) />
        <ActionForm action=reauthenticate attr:class="form" attr:id="reauthenticate-form">
            <label for="reauth-password">"Password"</label>
            <input id="reauth-password" name="password" type="password" autocomplete="current-password" required />
            {code}
            <button type="submit" disabled=move || reauthenticate.pending().get()>"Confirm"</button>
        </ActionForm>
    }
}

/// The path of the page being shown (the browser's, after hydration).
fn web_path() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.location().pathname().ok())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}
