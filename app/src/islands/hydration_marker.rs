//! Marks `<body data-hydrated>` once the WASM runs in the page: browser tests wait for it before
//! they click. An island with nothing to show, on every page.

use leptos::prelude::*;

#[island]
pub fn HydrationMarker() -> impl IntoView {
    Effect::new(|| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
