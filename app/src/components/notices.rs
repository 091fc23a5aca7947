//! Success and error messages, like the tutorial's flash messages: the server answers a form post
//! with a redirect and a one-shot message for the page it leads to. They are announced to screen
//! readers (`role="alert"` / `role="status"`).

use super::layout::VisitorResource;
use leptos::{either::Either, prelude::*};

/// The message a plain form post (JavaScript off) left for this page.
#[component]
pub fn FlashNotice() -> impl IntoView {
    let VisitorResource(visitor) = expect_context();
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
