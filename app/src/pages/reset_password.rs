//! `/reset-password/{token}`: the new password and, when 2FA is on, the second factor as on
//! `/login/2fa` (a code, or a recovery code instead). A link used, replaced or expired: a page
//! saying so (410). With mail off the page does not exist (404).

use crate::{
    api::password_reset::{load_reset_link, ResetLink, ResetPassword},
    components::{notices::FlashNotice, post_form::PostForm},
    pages::not_found::NotFound,
    paths,
};
use leptos::{either::EitherOf4, prelude::*};
use leptos_router::hooks::use_params_map;
use server_fn::ServerFn;

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let link = Resource::new(token, load_reset_link);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match link.await {
                    Ok(ResetLink::Open { two_factor, app, digits, security_keys }) => EitherOf4::A(view! {
                        <ResetForm token=token() two_factor app digits security_keys />
                    }),
                    Ok(ResetLink::Gone(message)) => EitherOf4::B(view! {
                        <Gone />
                        <leptos_meta::Title text="Link expired — Two-factor sign-in" />
                        <h1>"This link cannot be used"</h1>
                        <p class="notice error" role="alert">{message}</p>
                        <p><a href={paths::FORGOT_PASSWORD}>"Ask for a new link"</a></p>
                    }),
                    Ok(ResetLink::NoSuchPage) => EitherOf4::C(view! { <NotFound /> }),
                    Err(e) => EitherOf4::D(view! {
                        <h1>"Choose a new password"</h1>
                        <p class="notice error" role="alert">{e.error}</p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ResetForm(token: String, two_factor: bool, app: bool, digits: usize, security_keys: bool) -> impl IntoView {
    let second_factor = two_factor.then(|| {
        let code = app.then(|| {
            view! {
                <p>"Two-factor authentication is on: enter the code your authenticator app shows for this account."</p>
                <CodeField digits />
            }
        });
        let keys_only = (security_keys && !app).then(|| {
            view! {
                <p>"Two-factor authentication is on: enter one of the recovery codes you saved. A security key cannot be used on this page."</p>
            }
        });
        view! {
            {code}
            {keys_only}
            <details class="recovery" open=!app>
                <summary>"Use a recovery code instead"</summary>
                <p>"Lost your phone or key? Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."</p>
                <label for="recovery_code">"Recovery code"</label>
                <input id="recovery_code" name="recovery_code" type="text" autocomplete="off"
                    autocapitalize="none" spellcheck="false" maxlength="32" />
            </details>
        }
    });
    view! {
        <leptos_meta::Title text="Choose a new password — Two-factor sign-in" />
        <h1>"Choose a new password"</h1>
        <FlashNotice />
        <PostForm action=ResetPassword::PATH class="card form" id="reset-password-form">
            <input type="hidden" name="token" value=token />
            <label for="password">"New password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8"
                maxlength="256" autofocus />
            {second_factor}
            <button type="submit">"Set new password"</button>
        </PostForm>
        <p>"Every session of your account ends when the password is changed; then sign in with the new one."</p>
    }
}

/// The code field of `/login/2fa` (`islands::otp_field::OtpField`, same name, label and hints),
/// without its script (this form is not sent on the last digit: the password is in it too) and
/// not required (a recovery code may stand in).
#[component]
fn CodeField(digits: usize) -> impl IntoView {
    view! {
        <label for="otp">{format!("{digits}-digit code")}</label>
        <input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code"
            maxlength=(digits + 3).to_string() aria-describedby="otp-hint" class="otp-input" />
        <p id="otp-hint" class="hint">"The code your authenticator app shows now for this account."</p>
    }
}

/// Answers 410 Gone: the link was used, replaced by a newer one, or has expired.
#[component]
fn Gone() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::GONE);
    }
}
