//! In-page navigation: the small script (`navigation.js`, inline with the page's CSP nonce) that
//! makes the server-rendered pages a single-page app once JavaScript runs. Without it every link
//! and form still works as plain HTML (the no-JavaScript path); with it, the document is loaded
//! once:
//! - a click on a link to one of our pages fetches that page's HTML and swaps in its `<body>`
//!   (title, focus on the new page's main heading, an announcement for screen readers, scroll
//!   to the top); the islands of the new content are hydrated; the URL is pushed to history;
//! - a form posting to `/api/...` is sent by `fetch` with `Accept: application/json` and
//!   `X-In-Page: 1`, its buttons disabled while in flight; an error is shown in place (announced
//!   and focused); a success moves to the page the server names in `X-Next-Page`
//!   (`app/src/server/form_reply.rs`), which shows the flash message;
//! - back and forward fetch the page again from the server: nothing is kept client-side, so a
//!   page holding a secret (setup key, recovery codes) is never shown from a cache, and after
//!   signing out the server sends the visitor to `/login`.
//!
//! Plain JavaScript rather than WASM: it must work before the WASM has loaded, and it adds about
//! 1.5 KB (brotli) to each page where a Rust router would add tens of KB of WASM.

use leptos::prelude::*;

const SCRIPT: &str = include_str!("navigation.js");

/// The script, with the nonce of the page it is rendered into.
#[component]
pub fn NavigationScript() -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    view! { <script type="module" nonce=nonce inner_html=SCRIPT></script> }
}
