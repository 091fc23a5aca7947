use crate::paths;
use crate::{
    api::registration::Register,
    components::{layout::PageContextResource, notices::FlashNotice, post_form::PostForm},
};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let PageContextResource(visitor) = expect_context();
    view! {
        <leptos_meta::Title text="Create an account — Two-factor sign-in" />
        <h1>"Create an account"</h1>
        <FlashNotice />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // `REGISTRATION=closed`: the operator makes accounts (`server user add`).
                if visitor.await.map(|v| v.registration_open).unwrap_or(true) {
                    Either::Left(view! { <RegisterForm /> })
                } else {
                    Either::Right(view! {
                        <p class="notice" id="registration-closed">
                            "Accounts on this service are made by its administrator: ask them for one. "
                            "Once you have it, sign in with the username and password they give you."
                        </p>
                    })
                }
            })}
        </Suspense>
        <p>"Already have an account? " <a href={paths::LOGIN}>"Sign in"</a></p>
    }
}

#[component]
fn RegisterForm() -> impl IntoView {
    view! {
        <PostForm action=Register::PATH class="card form">
            <label for="username">"Username"</label>
            <input id="username" name="username" type="text" autocomplete="username" required
                minlength="3" maxlength="32" autocapitalize="none" spellcheck="false"
                aria-describedby="username-hint" />
            <p id="username-hint" class="hint">"3 to 32 letters, digits, '.', '_' or '-'."</p>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required
                minlength="8" maxlength="256" aria-describedby="password-hint" />
            <p id="password-hint" class="hint">"At least 8 characters. A long phrase is easiest to remember."</p>
            <button type="submit">"Create account"</button>
        </PostForm>
    }
}
