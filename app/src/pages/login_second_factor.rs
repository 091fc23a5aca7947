use crate::{
    api::{
        page_data::load_code_digits,
        sign_in::{LoginRecovery, LoginSecondFactor},
    },
    components::{notices::FlashNotice, post_form::PostForm, return_to::ReturnToField},
    islands::otp_field::OtpField,
};
use leptos::prelude::*;
use server_fn::ServerFn;

/// Step two: the code from the authenticator app, or a recovery code when the phone is lost.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let digits = Resource::new(|| (), |_| load_code_digits());
    view! {
        <leptos_meta::Title text="Enter your code — Two-factor sign-in" />
        <h1>"Enter your code"</h1>
        <FlashNotice />
        <p>"Open your authenticator app and enter the code it shows for this account."</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let digits = digits.await.unwrap_or(crate::api::page_data::DEFAULT_CODE_DIGITS);
                view! {
                    <PostForm action=LoginSecondFactor::PATH class="card form">
                        <OtpField autofocus=true submit_when_complete=true digits=digits />
                        <ReturnToField />
                        <button type="submit">"Verify"</button>
                    </PostForm>
                }
            })}
        </Suspense>
        <details class="card recovery">
            <summary>"Use a recovery code"</summary>
            <p>"Lost your phone? Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."</p>
            <PostForm action=LoginRecovery::PATH class="form">
                <label for="recovery_code">"Recovery code"</label>
                <input id="recovery_code" name="recovery_code" type="text" autocomplete="off"
                    autocapitalize="none" spellcheck="false" maxlength="32" required />
                <ReturnToField />
                <button type="submit" class="secondary">"Use recovery code"</button>
            </PostForm>
        </details>
        <p><a href="/login">"Start again"</a></p>
    }
}
