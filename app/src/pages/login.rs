use crate::paths;
use crate::{
    api::{passkeys::FinishPasskeySignIn, sign_in::Login},
    components::{layout::PageContextResource, notices::FlashNotice, post_form::PostForm, return_to::ReturnToField},
    islands::security_keys::PasskeyScriptLoader,
};
use leptos::prelude::*;
use server_fn::ServerFn;

/// "Sign in with a passkey", when passkeys are on: hidden until the security-key script, loaded
/// only by browsers with WebAuthn, shows it (without JavaScript a passkey cannot sign in, and the
/// password form is the way).
#[component]
fn PasskeySignIn() -> impl IntoView {
    let PageContextResource(context) = expect_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                context.await.ok().filter(|c| c.passkeys).map(|_| view! {
                    <PasskeyScriptLoader>
                        <PostForm action=FinishPasskeySignIn::PATH class="form" id="passkey-form">
                            <ReturnToField />
                            <button type="button" class="secondary" data-security-key="passkey">"Sign in with a passkey"</button>
                        </PostForm>
                    </PasskeyScriptLoader>
                })
            })}
        </Suspense>
    }
}

/// "Forgot your password?", when mail is on (a reset needs it).
#[component]
fn ForgotPasswordLink() -> impl IntoView {
    let PageContextResource(context) = expect_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                context.await.ok().filter(|c| c.mail).map(|_| view! {
                    <p><a href={paths::FORGOT_PASSWORD}>"Forgot your password?"</a></p>
                })
            })}
        </Suspense>
    }
}

/// Step one: the password. With 2FA on, the server then sends the visitor to the code page.
#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Sign in — Two-factor sign-in" />
        <h1>"Sign in"</h1>
        <FlashNotice />
        <PostForm action=Login::PATH class="card form">
            <label for="username">"Username"</label>
            <input id="username" name="username" type="text" autocomplete="username webauthn" required
                autocapitalize="none" spellcheck="false" />
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
            <ReturnToField />
            <button type="submit">"Sign in"</button>
        </PostForm>
        <ForgotPasswordLink />
        <PasskeySignIn />
        <p>"New here? " <a href={paths::REGISTER}>"Create an account"</a></p>
    }
}
