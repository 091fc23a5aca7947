use crate::paths;
use crate::{
    api::sign_in::Login,
    components::{notices::FlashNotice, post_form::PostForm, return_to::ReturnToField},
};
use leptos::prelude::*;
use server_fn::ServerFn;

/// Step one: the password. With 2FA on, the server then sends the visitor to the code page.
#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Sign in — Two-factor sign-in" />
        <h1>"Sign in"</h1>
        <FlashNotice />
        <PostForm action=Login::PATH class="card form">
            <label for="username">"Username"</label>
            <input id="username" name="username" type="text" autocomplete="username" required
                autocapitalize="none" spellcheck="false" />
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
            <ReturnToField />
            <button type="submit">"Sign in"</button>
        </PostForm>
        <p>"New here? " <a href={paths::REGISTER}>"Create an account"</a></p>
    }
}
