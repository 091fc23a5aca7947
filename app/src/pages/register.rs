use crate::{
    api::registration::Register,
    components::{go_to, notices::{error_of, ActionError, FlashNotice}},
};
use leptos::prelude::*;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    Effect::new(move || {
        if let Some(Ok(_)) = register.value().get() {
            go_to("/account");
        }
    });
    view! {
        <h1>"Create an account"</h1>
        <FlashNotice />
        <ActionError message=Signal::derive(move || error_of(register.value().get())) />
        <ActionForm action=register attr:class="card form">
            <label for="username">"Username"</label>
            <input id="username" name="username" type="text" autocomplete="username" required
                minlength="3" maxlength="32" autocapitalize="none" spellcheck="false"
                aria-describedby="username-hint" />
            <p id="username-hint" class="hint">"3 to 32 letters, digits, '.', '_' or '-'."</p>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required
                minlength="8" maxlength="256" aria-describedby="password-hint" />
            <p id="password-hint" class="hint">"At least 8 characters. A long phrase is easiest to remember."</p>
            <button type="submit" disabled=move || register.pending().get()>"Create account"</button>
        </ActionForm>
        <p>"Already have an account? " <a href="/login" rel="external">"Sign in"</a></p>
    }
}
