//! The password (and, with 2FA on, a code) again, when the last sign-in is older than the
//! re-authentication window and a sensitive change is wanted. The server then shows the page
//! again, with the change now allowed.

use crate::{api::manage_two_factor::Reauthenticate, components::post_form::PostForm, islands::otp_field::OtpField};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn ReauthenticateForm(
    /// Ask for a code too (accounts with 2FA on).
    with_code: bool,
    /// How many digits the account's codes have.
    #[prop(default = 6)]
    digits: usize,
) -> impl IntoView {
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
        <PostForm action=Reauthenticate::PATH class="form" id="reauthenticate-form">
            <label for="reauth-password">"Password"</label>
            <input id="reauth-password" name="password" type="password" autocomplete="current-password" required />
            {code}
            <button type="submit">"Confirm"</button>
        </PostForm>
    }
}
