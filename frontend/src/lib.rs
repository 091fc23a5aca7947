//! The browser side: the WASM module that hydrates the islands of the server-rendered pages
//! (the `#[island]` components in `app`: copy button, code field, local times, error focus).
//! Everything else on a page is plain HTML whose forms post to the server functions.

// Links the app crate: its islands export the functions `hydrate_islands` calls.
#[allow(unused_imports, clippy::single_component_path_imports)]
use app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}
