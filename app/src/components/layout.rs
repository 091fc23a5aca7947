//! The header on every page: who is signed in, and the way in or out.

use super::post_form::PostForm;
use crate::api::{
    page_data::{load_page_context, PageContext},
    sign_in::Logout,
};
use crate::paths;
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

/// The visitor of the page being shown, loaded once per page load.
#[derive(Clone, Copy)]
pub struct PageContextResource(pub Resource<Result<PageContext, crate::api_error::ApiError>>);

pub fn provide_visitor() {
    provide_context(PageContextResource(Resource::new(|| (), |_| load_page_context())));
}

#[component]
pub fn Header() -> impl IntoView {
    let PageContextResource(visitor) = expect_context();
    view! {
        <header class="site-header">
            <a href={paths::HOME} class="brand">
                "Two-factor sign-in"
            </a>
            <nav aria-label="Main">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let context = visitor.await.ok();
                        let console = context.as_ref().is_some_and(|c| c.console).then(|| {
                            view! { <a href={paths::CONSOLE}>"Console"</a> }
                        });
                        match context.and_then(|v| v.signed_in_as) {
                            Some(name) => Either::Left(view! {
                                <span class="who">"Signed in as " <strong>{name}</strong></span>
                                <a href={paths::ACCOUNT}>"Account"</a>
                                {console}
                                <PostForm action=Logout::PATH class="inline-form">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </PostForm>
                            }),
                            None => Either::Right(view! {
                                <a href={paths::LOGIN}>"Sign in"</a>
                                <a href={paths::REGISTER}>"Register"</a>
                            }),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}
