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

/// The error of the last submission of a form, shown in place (JavaScript on).
#[component]
pub fn ActionError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="notice-slot" aria-live="assertive">
            {move || message.get().map(|m| view! { <p class="notice error" role="alert">{m}</p> })}
        </div>
    }
}
