//! Pieces shared by the pages.

pub mod copy_button;
pub mod layout;
pub mod local_time;
pub mod notices;
pub mod otp_field;
pub mod reauthenticate;

/// Loads a page in full (not a client-side route change), so the server decides what the
/// visitor may see after a sign-in step changed the session.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Marks `<body data-hydrated>` once the WASM has taken over the page: browser tests wait for it
/// before they click. Effects only run in the browser, so the server never renders it.
pub fn mark_hydrated() {
    leptos::prelude::Effect::new(|| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
