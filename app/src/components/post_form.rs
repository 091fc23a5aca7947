//! A form that posts to a server function. Pages are plain server-rendered HTML (only the
//! islands are hydrated), so a form is an ordinary browser form post: the server answers it with
//! a redirect back to a page, which shows the result or the error (`FlashNotice`).

use leptos::prelude::*;

#[component]
pub fn PostForm(
    /// The server function's path (`<Fn as ServerFn>::PATH`).
    action: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] id: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=action class=class id=id>
            {children()}
        </form>
    }
}
