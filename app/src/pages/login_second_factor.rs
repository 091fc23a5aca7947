use crate::paths;
use crate::{
    api::{
        page_data::{load_second_factor_options, SecondFactorOptions},
        sign_in::{LoginRecovery, LoginSecondFactor},
    },
    components::{notices::FlashNotice, post_form::PostForm, return_to::ReturnToField},
    islands::{
        otp_field::OtpField,
        security_keys::{NeedsJavaScript, SecurityKeyScript},
    },
};
use leptos::prelude::*;
use server_fn::ServerFn;

/// Step two: the code from the authenticator app or a security key (whichever the account has),
/// or a recovery code when the phone or key is lost.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| load_second_factor_options());
    view! {
        <leptos_meta::Title text="Enter your code — Two-factor sign-in" />
        <h1>"Enter your code"</h1>
        <FlashNotice />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let options = options.await.unwrap_or_default();
                view! { <SecondFactorForms options /> }
            })}
        </Suspense>
        <p><a href={paths::LOGIN}>"Start again"</a></p>
    }
}

#[component]
fn SecondFactorForms(options: SecondFactorOptions) -> impl IntoView {
    let SecondFactorOptions { digits, app, security_key, remember_days } = options;
    let key = security_key.then(|| {
        view! {
            <SecurityKeyScript />
            <form class="card form" id="security-key-sign-in">
                <p>"Use the security key you added to this account: press the button, then touch the key."</p>
                <ReturnToField />
                <RememberDeviceField days=remember_days id="remember_device_key" />
                <button type="button" data-security-key="sign-in">"Use a security key"</button>
                <NeedsJavaScript />
            </form>
        }
    });
    let code = app.then(|| {
        view! {
            <p>"Open your authenticator app and enter the code it shows for this account."</p>
            <PostForm action=LoginSecondFactor::PATH class="card form">
                <RememberDeviceField days=remember_days id="remember_device" />
                <OtpField autofocus=!security_key submit_when_complete=true digits=digits />
                <ReturnToField />
                <button type="submit">"Verify"</button>
            </PostForm>
        }
    });
    view! {
        {key}
        {code}
        <details class="card recovery">
            <summary>"Use a recovery code"</summary>
            <p>"Lost your phone or key? Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."</p>
            <PostForm action=LoginRecovery::PATH class="form">
                <label for="recovery_code">"Recovery code"</label>
                <input id="recovery_code" name="recovery_code" type="text" autocomplete="off"
                    autocapitalize="none" spellcheck="false" maxlength="32" required />
                <ReturnToField />
                <RememberDeviceField days=remember_days id="remember_device_recovery" />
                <button type="submit" class="secondary">"Use recovery code"</button>
            </PostForm>
        </details>
    }
}

/// "Don't ask again on this device for N days" (`remember_device`): unticked by default, and not
/// shown at all when `REMEMBER_DEVICE_DAYS` is 0. Placed before the code field, which sends its
/// form as soon as the code is complete.
#[component]
fn RememberDeviceField(days: u32, id: &'static str) -> impl IntoView {
    (days > 0).then(|| {
        let unit = if days == 1 { "day" } else { "days" };
        view! {
            <label class="checkbox" for=id>
                <input type="checkbox" id=id name="remember_device" value="on" />
                {format!(" Don't ask again on this device for {days} {unit}")}
            </label>
        }
    })
}
