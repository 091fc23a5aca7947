//! Success and error messages, like the tutorial's flash messages: the server answers a form post
//! with a redirect and a one-shot message for the page it leads to. They are announced to screen
//! readers (`role="alert"` / `role="status"`).

use super::layout::PageContextResource;
use crate::islands::error_notice::ErrorNotice;
use leptos::{either::Either, prelude::*};

/// The message a plain form post (JavaScript off) left for this page.
#[component]
pub fn FlashNotice() -> impl IntoView {
    let PageContextResource(visitor) = expect_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                visitor.await.ok().and_then(|v| v.flash).map(|flash| {
                    if flash.is_error {
                        Either::Left(view! { <ErrorNotice message=flash.message /> })
                    } else {
                        Either::Right(view! { <p class="notice success" role="status">{flash.message}</p> })
                    }
                })
            })}
        </Suspense>
    }
}
