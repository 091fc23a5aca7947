//! The `rd` of the page's URL (where a protected app sent the visitor), carried by a form to the
//! server, which follows it only when it is a valid target (`domain::flows::return_to`).

use leptos::prelude::*;

#[component]
pub fn ReturnToField() -> impl IntoView {
    let rd = leptos_router::hooks::use_query_map().with_untracked(|query| query.get("rd"));
    rd.filter(|rd| !rd.is_empty()).map(|rd| view! { <input type="hidden" name="rd" value=rd /> })
}
