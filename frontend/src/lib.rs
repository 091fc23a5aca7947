//! The browser side: the WASM module that hydrates the server-rendered HTML.
//! Everything that runs here is in `app`; this crate is only the entry point.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(app::App);
}
