//! The header on every page: who is signed in, and the way in or out.

use super::go_to;
use crate::api::{
    page_data::{load_visitor, Visitor},
    sign_in::Logout,
};
use leptos::{either::Either, prelude::*};

/// The visitor of the page being shown, loaded once per page load.
#[derive(Clone, Copy)]
pub struct VisitorResource(pub Resource<Result<Visitor, crate::api_error::ApiError>>);

pub fn provide_visitor() {
    provide_context(VisitorResource(Resource::new(|| (), |_| load_visitor())));
}

#[component]
pub fn Header() -> impl IntoView {
    let VisitorResource(visitor) = expect_context();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move || {
        if let Some(Ok(_)) = logout.value().get() {
            go_to("/login");
        }
    });
    view! {
        <header class="site-header">
            <a href="/" class="brand" rel="external">
                "Two-factor sign-in"
            </a>
            <nav aria-label="Main">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match visitor.await.ok().and_then(|v| v.signed_in_as) {
                            Some(name) => Either::Left(view! {
                                <span class="who">"Signed in as " <strong>{name}</strong></span>
                                <a href="/account" rel="external">"Account"</a>
                                <ActionForm action=logout attr:class="inline-form">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            }),
                            None => Either::Right(view! {
                                <a href="/login" rel="external">"Sign in"</a>
                                <a href="/register" rel="external">"Register"</a>
                            }),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}
