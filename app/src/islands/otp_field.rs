//! The one-time-code input. A text field, never `type="number"`: a number input would drop the
//! leading zero of one code in ten and show spinner arrows.

use leptos::prelude::*;

/// An island: the field is plain HTML in its server-rendered form; the browser adds the submit
/// on the last digit.
#[island]
pub fn OtpField(
    /// Focus the field when the page opens (the code pages); not on the account page.
    autofocus: bool,
    /// Submit the form as soon as six digits are in the field — when the last digit is typed or
    /// the code is pasted (spaces allowed); not when a script or password manager sets the value.
    submit_when_complete: bool,
    /// How many digits the account's codes have (6, or 8 where the policy says so).
    digits: usize,
) -> impl IntoView {
    let on_input = move |event: leptos::ev::Event| {
        if submit_when_complete {
            submit_if_complete(&event, digits);
        }
    };
    view! {
        <label for="otp">{format!("{digits}-digit code")}</label>
        <input
            id="otp"
            name="otp"
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            maxlength=(digits + 3).to_string()
            required
            autofocus=autofocus
            aria-describedby="otp-hint"
            class="otp-input"
            on:input=on_input
        />
        <p id="otp-hint" class="hint">"The code your authenticator app shows now for this account."</p>
    }
}

#[cfg(feature = "hydrate")]
fn submit_if_complete(event: &leptos::ev::Event, wanted: usize) {
    use wasm_bindgen::JsCast;
    let Some(input) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let Some(input_event) = event.dyn_ref::<web_sys::InputEvent>() else { return };
    let typed_last_digit =
        input_event.input_type() == "insertText" && input_event.data().is_some_and(|d| d.chars().count() == 1);
    if !(typed_last_digit || input_event.input_type() == "insertFromPaste") {
        return;
    }
    let digits: String = input.value().chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == wanted && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(form) = input.form() {
            // requestSubmit fires the submit event, so the form is sent the same way a click would.
            let _ = form.request_submit();
        }
    }
}

#[cfg(not(feature = "hydrate"))]
fn submit_if_complete(_event: &leptos::ev::Event, _wanted: usize) {}
