//! The security-key controls' script (`security_keys.js`, served as
//! `/pkg/security_keys.<hash>.js`): it runs the WebAuthn ceremonies (the challenge from the
//! server, `navigator.credentials`, the answer back). Plain JavaScript, like the navigation
//! script: the browser's WebAuthn API is JavaScript, and WASM bindings for it would add to the
//! download of every page. Only the pages with key controls load it, so the first visit to
//! `/login` does not (the page-weight budget); without JavaScript the controls say that keys
//! need it, and the codes still work.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub const SCRIPT: &str = include_str!("security_keys.js");

/// `security_keys.<hash>.js`: a content hash in the name, so browsers keep it for a year.
#[cfg(feature = "ssr")]
pub fn script_file_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| super::navigation::hashed_name("security_keys", SCRIPT))
}

/// The `<script>` element that loads it (a module: run once per document, however many pages
/// include it).
#[component]
pub fn SecurityKeyScript() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let src = {
        let pkg = use_context::<LeptosOptions>().map(|o| o.site_pkg_dir.to_string()).unwrap_or_else(|| "pkg".into());
        format!("/{pkg}/{}", script_file_name())
    };
    #[cfg(not(feature = "ssr"))]
    let src = String::new();
    view! { <script type="module" src=src></script> }
}

/// What the key controls say when JavaScript is off. Not a `<noscript>`: a browser whose
/// scripts are merely blocked (by an extension, or a test's emulation) hides that too. The script
/// hides this note when it runs.
#[component]
pub fn NeedsJavaScript() -> impl IntoView {
    view! {
        <p class="notice" data-needs-javascript="">
            "Security keys need JavaScript, which is off in this browser. Codes and recovery codes work without it."
        </p>
    }
}

/// Where `/login` says the script is, for browsers that can use passkeys: the navigation script
/// loads it from `data-passkey-script` (in `data-pkg`) only when the browser has WebAuthn, so a
/// first visit without it, or with passkeys off, downloads nothing more.
#[component]
pub fn PasskeyScriptLoader(children: Children) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let (pkg, name) = {
        let pkg = use_context::<LeptosOptions>().map(|o| o.site_pkg_dir.to_string()).unwrap_or_else(|| "pkg".into());
        (format!("/{pkg}"), script_file_name().to_owned())
    };
    #[cfg(not(feature = "ssr"))]
    let (pkg, name) = (String::new(), String::new());
    view! {
        <div class="card passkey-sign-in" data-passkeys="" data-pkg=pkg data-passkey-script=name hidden>
            {children()}
        </div>
    }
}
