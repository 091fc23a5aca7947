use crate::{
    api::{
        page_data::{load_code_digits, still_pending},
        sign_in::{LoginRecovery, LoginSecondFactor},
    },
    components::{go_to, notices::{error_of, ActionError, FlashNotice}, otp_field::OtpField},
};
use leptos::prelude::*;

/// Step two: the code from the authenticator app, or a recovery code when the phone is lost.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let with_code = ServerAction::<LoginSecondFactor>::new();
    let digits = Resource::new(|| (), |_| load_code_digits());
    let with_recovery = ServerAction::<LoginRecovery>::new();
    Effect::new(move || {
        let (code, recovery) = (with_code.value().get(), with_recovery.value().get());
        if matches!(code, Some(Ok(_))) || matches!(recovery, Some(Ok(_))) {
            go_to("/account");
        } else if matches!(code, Some(Err(_))) || matches!(recovery, Some(Err(_))) {
            // An expired sign-in cannot be finished here: reload, and the server sends the
            // visitor to /login with a message saying so.
            leptos::task::spawn_local(async {
                if let Ok(false) = still_pending().await {
                    go_to("/login/2fa");
                }
            });
        }
    });
    view! {
        <h1>"Enter your code"</h1>
        <FlashNotice />
        <p>"Open your authenticator app and enter the code it shows for this account."</p>
        <ActionError message=Signal::derive(move || error_of(with_code.value().get())) />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let digits = digits.await.unwrap_or(6);
                view! {
                    <ActionForm action=with_code attr:class="card form">
                        <OtpField digits=digits />
                        <button type="submit" disabled=move || with_code.pending().get()>"Verify"</button>
                    </ActionForm>
                }
            })}
        </Suspense>
        <details class="card recovery">
            <summary>"Use a recovery code"</summary>
            <p>"Lost your phone? Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."</p>
            <ActionError message=Signal::derive(move || error_of(with_recovery.value().get())) />
            <ActionForm action=with_recovery attr:class="form">
                <label for="recovery_code">"Recovery code"</label>
                <input id="recovery_code" name="recovery_code" type="text" autocomplete="off"
                    autocapitalize="none" spellcheck="false" maxlength="32" required />
                <button type="submit" class="secondary" disabled=move || with_recovery.pending().get()>
                    "Use recovery code"
                </button>
            </ActionForm>
        </details>
        <p><a href="/login" rel="external">"Start again"</a></p>
    }
}
