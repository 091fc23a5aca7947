//! Success and error messages, like the tutorial's flash messages. They sit in a live region
//! so screen readers announce them.

use super::layout::VisitorResource;
use crate::api_error::ApiError;
use leptos::prelude::*;

/// The message a plain form post (JavaScript off) left for this page.
#[component]
pub fn FlashNotice() -> impl IntoView {
    let VisitorResource(visitor) = expect_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                visitor.await.ok().and_then(|v| v.flash).map(|flash| {
                    let class = if flash.is_error { "notice error" } else { "notice success" };
                    let role = if flash.is_error { "alert" } else { "status" };
                    view! { <p class=class role=role>{flash.message}</p> }
                })
            })}
        </Suspense>
    }
}

/// The error of a server function's answer, if it failed.
pub fn error_of<T>(result: Option<Result<T, ApiError>>) -> Option<String> {
    match result {
        Some(Err(e)) => Some(e.error),
        _ => None,
    }
}

/// The error of the last submission of a form, shown in place (JavaScript on). It takes the
/// focus when it appears, so keyboard and screen-reader users land on what went wrong.
#[component]
pub fn ActionError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    let notice = NodeRef::<leptos::html::P>::new();
    Effect::new(move || {
        if message.get().is_some() {
            if let Some(element) = notice.get() {
                let _ = element.focus();
            }
        }
    });
    view! {
        <div class="notice-slot" aria-live="assertive">
            {move || message.get().map(|m| view! { <p class="notice error" role="alert" tabindex="-1" node_ref=notice>{m}</p> })}
        </div>
    }
}
