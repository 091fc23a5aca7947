//! The one-time-code input. A text field, never `type="number"`: a number input would drop the
//! leading zero of one code in ten and show spinner arrows.

use leptos::prelude::*;

#[component]
pub fn OtpField(
    /// Focus the field when the page opens (the code pages); not on the account page.
    #[prop(default = true)]
    autofocus: bool,
) -> impl IntoView {
    view! {
        <label for="otp">"6-digit code"</label>
        <input
            id="otp"
            name="otp"
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            maxlength="9"
            required
            autofocus=autofocus
            aria-describedby="otp-hint"
            class="otp-input"
        />
        <p id="otp-hint" class="hint">"The code your authenticator app shows now for this account."</p>
    }
}
