use crate::paths;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <leptos_meta::Title text="Page not found — Two-factor sign-in" />
        <h1>"Page not found"</h1>
        <p><a href={paths::HOME}>"Back to the start"</a></p>
    }
}
