use crate::{
    api::sign_in::Login,
    components::{go_to, notices::{error_of, ActionError, FlashNotice}},
};
use leptos::prelude::*;

/// Step one: the password. With 2FA on, the session is then pending and the code page follows.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    Effect::new(move || {
        if let Some(Ok(reply)) = login.value().get() {
            go_to(if reply.second_factor { "/login/2fa" } else { "/account" });
        }
    });
    view! {
        <h1>"Sign in"</h1>
        <FlashNotice />
        <ActionError message=Signal::derive(move || error_of(login.value().get())) />
        <ActionForm action=login attr:class="card form">
            <label for="username">"Username"</label>
            <input id="username" name="username" type="text" autocomplete="username" required
                autocapitalize="none" spellcheck="false" />
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
            <button type="submit" disabled=move || login.pending().get()>"Sign in"</button>
        </ActionForm>
        <p>"New here? " <a href="/register" rel="external">"Create an account"</a></p>
    }
}
