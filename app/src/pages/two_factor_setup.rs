use crate::paths;
use crate::{
    api::{
        page_data::{load_setup_page, SetupPageData},
        two_factor_setup::ConfirmTwoFactor,
    },
    components::{
        notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm, return_to::ReturnToField,
    },
    islands::{copy_button::CopyButton, otp_field::OtpField},
};
use leptos::{either::EitherOf3, prelude::*};
use server_fn::ServerFn;

/// Turning 2FA on, top to bottom: install an app, scan or type the key, confirm with a code,
/// save the recovery codes (shown once, on the account page the confirmation leads to).
#[component]
pub fn TwoFactorSetupPage() -> impl IntoView {
    let setup = Resource::new(|| (), |_| load_setup_page());
    view! {
        <leptos_meta::Title text="Turn on two-factor authentication — Two-factor sign-in" />
        <h1>"Turn on two-factor authentication"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(data) if data.recently_authenticated => EitherOf3::A(view! {
                        {data.asked_by.clone().map(|site| view! {
                            <p class="notice" id="asked-by">{site} " asks for two-factor authentication: turn it on to continue there."</p>
                        })}
                        <SetupSteps data />
                    }),
                    // An older sign-in sees no key until it confirms the password again.
                    Ok(_) => EitherOf3::B(view! {
                        <p>"To see a new setup key, confirm your password first: your last sign-in was more than 10 minutes ago."</p>
                        <ReauthenticateForm with_code=false />
                    }),
                    Err(e) => EitherOf3::C(view! {
                        <p class="notice error" role="alert">{e.error}</p>
                        <p><a href={paths::ACCOUNT}>"Back to your account"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupSteps(data: SetupPageData) -> impl IntoView {
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
    let warning = move || {
        (!widely_supported).then(|| {
            view! {
                <p class="notice error" role="note" id="otp-parameters-warning">
                    "This server makes codes that are " {parameters.clone()} ". Some authenticator apps, "
                    "Google Authenticator among them, ignore such settings and then show wrong codes: use an "
                    "app that supports them (for example FreeOTP, Aegis or 2FAS)."
                </p>
            }
        })
    };
    let kind = if counter_based { "Counter based" } else { "Time based" };
    view! {
        {warning}
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
                    <CopyButton text=secret.clone() target_id="setup-key".to_owned() label="Copy".to_owned() />
                </p>
            </li>
            <li class="card step">
                <h2><span class="step-number">"3"</span>" Enter the code from the app"</h2>
                <p>"Two-factor authentication stays off until a code confirms that your app is set up."</p>
                <Show
                    when=move || recently_authenticated
                    fallback=|| view! { <ReauthenticateForm with_code=false /> }
                >
                    <PostForm action=ConfirmTwoFactor::PATH class="form">
                        <OtpField autofocus=true submit_when_complete=true digits=code_digits />
                        <ReturnToField />
                        <button type="submit">"Confirm and turn on"</button>
                    </PostForm>
                </Show>
            </li>
            <li class="card step upcoming">
                <h2><span class="step-number">"4"</span>" Save your recovery codes"</h2>
                <p>"Once the code is confirmed you get ten single-use recovery codes, shown once: they let you in if you lose your phone."</p>
            </li>
        </ol>
    }
}

/// The recovery codes, shown once, with what they are for, and ways to keep them: copy them all,
/// or download them as a text file (a `data:` link, so it works without JavaScript too).
#[component]
pub fn RecoveryCodeList(codes: Vec<String>) -> impl IntoView {
    let text = format!("Recovery codes for your two-factor sign-in. Each works once.\n\n{}\n", codes.join("\n"));
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
            <CopyButton text=text.clone() target_id="recovery-code-list".to_owned() label="Copy all".to_owned() />
            <a class="button secondary" href=download download="recovery-codes.txt">"Download .txt"</a>
        </p>
    }
}
