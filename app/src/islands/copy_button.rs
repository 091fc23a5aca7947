//! The client-side Copy button for the setup key. It uses the browser's Clipboard API; where
//! that is missing (a page not served over https or localhost) or refused, it selects the key so
//! the person can copy it with the keyboard.

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum CopyState {
    Idle,
    Copied,
    Selected,
}

/// An island: hydrated in the browser, its props travel in the page.
#[island]
pub fn CopyButton(
    /// The text to put on the clipboard.
    text: String,
    /// The id of the element that shows it, selected when copying is not possible.
    target_id: String,
    /// The button's text.
    label: String,
) -> impl IntoView {
    let state = RwSignal::new(CopyState::Idle);
    let on_click = move |_| copy(text.clone(), target_id.clone(), state);
    view! {
        <button type="button" class="secondary copy-button" on:click=on_click>
            {label}
        </button>
        <span class="copy-feedback" role="status" aria-live="polite">
            {move || match state.get() {
                CopyState::Idle => "",
                CopyState::Copied => "Copied",
                CopyState::Selected => "Selected: press Ctrl+C (or ⌘C) to copy",
            }}
        </span>
    }
}

#[cfg(feature = "hydrate")]
fn copy(text: String, target_id: String, state: RwSignal<CopyState>) {
    leptos::task::spawn_local(async move {
        let Some(window) = web_sys::window() else { return };
        let clipboard = window.navigator().clipboard();
        // `navigator.clipboard` is undefined outside secure contexts.
        let copied = !clipboard.is_undefined()
            && wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await.is_ok();
        if copied {
            state.set(CopyState::Copied);
            set_timeout(move || state.set(CopyState::Idle), std::time::Duration::from_secs(3));
        } else {
            if let (Some(document), Ok(Some(selection))) = (window.document(), window.get_selection()) {
                if let Some(element) = document.get_element_by_id(&target_id) {
                    let _ = selection.select_all_children(&element);
                }
            }
            state.set(CopyState::Selected);
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy(_text: String, _target_id: String, _state: RwSignal<CopyState>) {}
