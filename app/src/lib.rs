//! The two-factor sign-in app's web layer: pages, routes and server functions. The sign-in itself
//! is the `domain` crate (`server/domain`), which knows nothing of Leptos.
//!
//! Read it in this order:
//! - `api/`: the server functions, one file per step of the journey, at the fixed endpoints of
//!   `docs/contract/api.md` (`registration`, `sign_in`, `two_factor_setup`, `manage_two_factor`,
//!   `sessions`, `apps`, `profile`, `password_reset`, `page_data`). Each calls a domain flow and decides its own answer to a plain form post.
//! - `api_types`, `api_error`: the JSON bodies and the one error body of the API.
//! - `paths`: the pages, named once.
//! - `pages/`: one component per page of `docs/contract/pages.md`; `components/`: pieces they share.
//! - `islands/`: the only code that runs in the browser (hydrated as WebAssembly).
//! - `server/` (only with the `ssr` feature, never in the WASM): the session, the wire error,
//!   the form replies.
#![recursion_limit = "256"]

pub mod api;
pub mod api_error;
pub mod api_types;
mod components;
mod islands;
pub mod paths;
#[cfg(feature = "ssr")]
pub use islands::navigation::{script_file_name as navigation_script_file_name, SCRIPT as NAVIGATION_SCRIPT};
#[cfg(feature = "ssr")]
pub use islands::security_keys::{script_file_name as security_keys_script_file_name, SCRIPT as SECURITY_KEYS_SCRIPT};
mod pages;
#[cfg(feature = "ssr")]
pub mod server;
mod uri;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app. Rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::content_security_policy::apply_to_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HashedStylesheet id="leptos" options=options.clone() />
                <islands::navigation::NavigationScript options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The routes. Every page renders completely on the server before it is sent (`SsrMode::Async`),
/// so each one works with JavaScript disabled; the WASM then hydrates it.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::layout::provide_visitor();
    let (home, register, login, second_factor, account, setup) = (
        pages::home::HomePage,
        pages::register::RegisterPage,
        pages::login::LoginPage,
        pages::login_second_factor::SecondFactorPage,
        pages::account::AccountPage,
        pages::two_factor_setup::TwoFactorSetupPage,
    );
    let (sessions, apps, profile) =
        (pages::account_sessions::SessionsPage, pages::account_apps::AppsPage, pages::account_profile::ProfilePage);
    view! {
        <Router>
            <components::layout::Header />
            <main id="main">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("") view=home ssr=SsrMode::Async />
                    <Route path=path!("/register") view=register ssr=SsrMode::Async />
                    <Route path=path!("/login") view=login ssr=SsrMode::Async />
                    <Route path=path!("/login/2fa") view=second_factor ssr=SsrMode::Async />
                    <Route path=path!("/account") view=account ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view=sessions ssr=SsrMode::Async />
                    <Route path=path!("/account/apps") view=apps ssr=SsrMode::Async />
                    <Route path=path!("/account/profile") view=profile ssr=SsrMode::Async />
                    <Route path=path!("/account/2fa/setup") view=setup ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=pages::console::ConsolePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/people/:username") view=pages::console_person::ConsolePersonPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=pages::invitation::InvitationPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=pages::forgot_password::ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password/:token") view=pages::reset_password::ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/verify-email/:token") view=pages::verify_email::VerifyEmailPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <islands::hydration_marker::HydrationMarker />
        </Router>
    }
}
