//! An error message that takes the focus when the page opens.

use leptos::prelude::*;

/// An error message that takes the focus when the page opens (an island: the browser moves the
/// focus), so keyboard and screen-reader users land on what went wrong.
#[island]
pub fn ErrorNotice(message: String) -> impl IntoView {
    let notice = NodeRef::<leptos::html::P>::new();
    Effect::new(move || {
        if let Some(element) = notice.get() {
            let _ = element.focus();
        }
    });
    view! { <p class="notice error" role="alert" tabindex="-1" node_ref=notice>{message}</p> }
}
