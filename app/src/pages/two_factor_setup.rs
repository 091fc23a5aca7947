use crate::{
    api::{
        page_data::{load_setup_page, SetupPageData},
        two_factor_setup::ConfirmTwoFactor,
    },
    components::{
        copy_button::CopyButton,
        notices::{error_of, ActionError, FlashNotice},
        otp_field::OtpField,
        reauthenticate::ReauthenticateForm,
    },
};
use leptos::{either::Either, prelude::*};

/// Turning 2FA on, top to bottom: install an app, scan or type the key, confirm with a code,
/// save the recovery codes.
#[component]
pub fn TwoFactorSetupPage() -> impl IntoView {
    let setup = Resource::new(|| (), |_| load_setup_page());
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    view! {
        <h1>"Turn on two-factor authentication"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(data) => Either::Left(view! { <SetupSteps data confirm /> }),
                    Err(e) => Either::Right(view! {
                        <p class="notice error" role="alert">{e.error}</p>
                        <p><a href="/account" rel="external">"Back to your account"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupSteps(data: SetupPageData, confirm: ServerAction<ConfirmTwoFactor>) -> impl IntoView {
    let SetupPageData {
        username,
        issuer,
        secret,
        grouped_secret,
        qr_svg,
        recently_authenticated,
        code_digits,
        counter_based,
        widely_supported,
        parameters,
        ..
    } = data;
    let warning = move || (!widely_supported).then(|| view! {
        <p class="notice error" role="note" id="otp-parameters-warning">
            "This server makes codes that are " {parameters.clone()} ". Some authenticator apps, "
            "Google Authenticator among them, ignore such settings and then show wrong codes: use an "
            "app that supports them (for example FreeOTP, Aegis or 2FAS)."
        </p>
    });
    let kind = if counter_based { "Counter based" } else { "Time based" };
    let codes = move || confirm.value().get().and_then(Result::ok).map(|r| r.recovery_codes);
    view! {
        <Show
            when=move || codes().is_none()
            fallback=move || view! {
                <section class="card step" id="recovery-codes-step">
                    <h2><span class="step-number">"4"</span>" Save your recovery codes"</h2>
                    <p class="notice success" role="status">"Two-factor authentication is on."</p>
                    <RecoveryCodeList codes=codes().unwrap_or_default() />
                    <p><a class="button" href="/account" rel="external">"Continue to your account"</a></p>
                </section>
            }
        >
            {warning.clone()}
            <ol class="steps">
                <li class="card step">
                    <h2><span class="step-number">"1"</span>" Install an authenticator app"</h2>
                    <p>
                        "On your phone, install Google Authenticator (Android or iPhone) or any app "
                        "that supports time-based codes (TOTP), such as Microsoft Authenticator, "
                        "Authy, 1Password, Bitwarden or FreeOTP."
                    </p>
                </li>
                <li class="card step">
                    <h2><span class="step-number">"2"</span>" Scan the QR code or enter the setup key"</h2>
                    <p>"In the app, tap " <strong>"+"</strong> ", then " <strong>"Scan a QR code"</strong> ":"</p>
                    <div
                        class="qr"
                        role="img"
                        aria-label="QR code of your setup key. If you cannot scan it, type the setup key shown below instead."
                        inner_html=qr_svg.clone()
                    ></div>
                    <p>
                        "Can't scan it? Choose " <strong>"Enter a setup key"</strong> ", type "
                        <strong>{issuer.clone()} " (" {username.clone()} ")"</strong>
                        " as the account name, this key, and " <strong>{kind}</strong> ":"
                    </p>
                    <p class="setup-key-row">
                        <code id="setup-key" class="setup-key">{grouped_secret.clone()}</code>
                        <CopyButton text=secret.clone() target_id="setup-key" />
                    </p>
                </li>
                <li class="card step">
                    <h2><span class="step-number">"3"</span>" Enter the code from the app"</h2>
                    <p>"Two-factor authentication stays off until a code confirms that your app is set up."</p>
                    <Show
                        when=move || recently_authenticated
                        fallback=|| view! { <ReauthenticateForm with_code=false /> }
                    >
                        <ActionError message=Signal::derive(move || error_of(confirm.value().get())) />
                        <ActionForm action=confirm attr:class="form">
                            <OtpField digits=code_digits />
                            <button type="submit" disabled=move || confirm.pending().get()>"Confirm and turn on"</button>
                        </ActionForm>
                    </Show>
                </li>
                <li class="card step upcoming">
                    <h2><span class="step-number">"4"</span>" Save your recovery codes"</h2>
                    <p>"Once the code is confirmed you get ten single-use recovery codes, shown once: they let you in if you lose your phone."</p>
                </li>
            </ol>
        </Show>
    }
}

/// The recovery codes, shown once, with what they are for, and ways to keep them: copy them all,
/// or download them as a text file (a `data:` link, so it works without JavaScript too).
#[component]
pub fn RecoveryCodeList(codes: Vec<String>) -> impl IntoView {
    let text = format!(
        "Recovery codes for your two-factor sign-in. Each works once.\n\n{}\n",
        codes.join("\n")
    );
    let download = format!("data:text/plain;charset=utf-8,{}", crate::uri::encode_component(&text));
    view! {
        <p>
            "Keep these codes somewhere safe, away from your phone. If you lose the phone, each "
            "code lets you sign in once. They will not be shown again."
        </p>
        <ul class="recovery-codes" id="recovery-code-list">
            {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
        </ul>
        <p class="actions">
            <CopyButton text=text.clone() target_id="recovery-code-list" label="Copy all" />
            <a class="button secondary" href=download download="recovery-codes.txt">"Download .txt"</a>
        </p>
    }
}
