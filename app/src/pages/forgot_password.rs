//! `/forgot-password`: "Username or email", and a link mailed to the account's verified address.
//! The same answer whatever was typed. With mail off the page does not exist (404).

use crate::{
    api::password_reset::ForgotPassword,
    components::{layout::PageContextResource, notices::FlashNotice, post_form::PostForm},
    pages::not_found::NotFound,
    paths,
};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let PageContextResource(context) = expect_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                if context.await.is_ok_and(|c| c.mail) {
                    Either::Left(view! { <ForgotPasswordForm /> })
                } else {
                    Either::Right(view! { <NotFound /> })
                }
            })}
        </Suspense>
    }
}

#[component]
fn ForgotPasswordForm() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Forgot your password? — Two-factor sign-in" />
        <h1>"Forgot your password?"</h1>
        <p>"Enter your username or the email address of your account. If the account has a verified email address, we send a link there to choose a new password. If two-factor authentication is on, you will need your code or a recovery code too."</p>
        <FlashNotice />
        <PostForm action=ForgotPassword::PATH class="card form" id="forgot-password-form">
            <label for="login">"Username or email"</label>
            <input id="login" name="login" type="text" autocomplete="username" required maxlength="256"
                autocapitalize="none" spellcheck="false" />
            <button type="submit">"Send reset link"</button>
        </PostForm>
        <p><a href={paths::LOGIN}>"Back to sign in"</a></p>
    }
}
