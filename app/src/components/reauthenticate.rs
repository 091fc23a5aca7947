//! The password (and, with 2FA on, a code) again, when the last sign-in is older than the
//! re-authentication window and a sensitive change is wanted. The server then shows the page
//! again, with the change now allowed.

use crate::{
    api::manage_two_factor::Reauthenticate,
    components::post_form::PostForm,
    islands::{
        otp_field::OtpField,
        security_keys::{NeedsJavaScript, SecurityKeyScript},
    },
};
use leptos::{either::EitherOf3, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn ReauthenticateForm(
    /// Ask for a code too (accounts with 2FA on).
    with_code: bool,
    /// How many digits the account's codes have.
    #[prop(default = 6)]
    digits: usize,
    /// The account has security keys: a key may stand for the code.
    #[prop(default = false)]
    security_key: bool,
) -> impl IntoView {
    let key = security_key.then(|| {
        view! {
            <SecurityKeyScript />
            <button type="button" class="secondary" data-security-key="reauthenticate">"Confirm with a security key"</button>
            <NeedsJavaScript />
        }
    });
    let code = if with_code {
        EitherOf3::A(view! { <OtpField autofocus=false submit_when_complete=false digits=digits /> })
    } else if security_key {
        // Keys are the account's only second factor: a key, or a recovery code (no JavaScript).
        EitherOf3::B(view! {
            <label for="reauth-recovery-code">"Or a recovery code"</label>
            <input id="reauth-recovery-code" name="otp" type="text" autocomplete="off" maxlength="32"
                autocapitalize="none" spellcheck="false" />
        })
    } else {
        EitherOf3::C(view! { <input type="hidden" name="otp" value="" /> })
    };
    view! {
        <p>{match (with_code, security_key) {
            (true, _) => "For your security, confirm your password and a current code to make this change.",
            (false, true) => "For your security, confirm your password and your security key to make this change.",
            (false, false) => "For your security, confirm your password to make this change.",
        }}</p>
        <PostForm action=Reauthenticate::PATH class="form" id="reauthenticate-form">
            <label for="reauth-password">"Password"</label>
            <input id="reauth-password" name="password" type="password" autocomplete="current-password" required />
            {code}
            <button type="submit">"Confirm"</button>
            {key}
        </PostForm>
    }
}
