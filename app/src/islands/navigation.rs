//! In-page navigation: the small script (`navigation.js`, served as `/pkg/navigation.<hash>.js`,
//! compressed and cached for a year like the other static files) that
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
//! Plain JavaScript rather than WASM: it works before the WASM has loaded, and it is 1.6 KB
//! (brotli), downloaded once, where a Rust router would add tens of KB of WASM. An external
//! module, not inline: it does not block rendering and is not sent again with every page.

use leptos::prelude::*;

/// The script, as the server serves it.
#[cfg(feature = "ssr")]
pub const SCRIPT: &str = include_str!("navigation.js");

/// `navigation.<hash>.js`: a content hash in the name, so browsers keep it for a year.
#[cfg(feature = "ssr")]
pub fn script_file_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| hashed_name("navigation", SCRIPT))
}

/// `stem.<hash>.js` for a script compiled into the server.
#[cfg(feature = "ssr")]
pub fn hashed_name(stem: &str, source: &str) -> String {
    let hash = domain::credentials::secret_box::sha256_hex(source.as_bytes());
    format!("{stem}.{}.js", &hash[..22])
}

/// The `<script>` element that loads it (a module: deferred, allowed by the CSP's `'self'`).
#[component]
pub fn NavigationScript(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let src = format!("/{}/{}", options.site_pkg_dir, script_file_name());
    #[cfg(not(feature = "ssr"))]
    let src = {
        let _ = options;
        String::new()
    };
    view! { <script type="module" src=src></script> }
}
