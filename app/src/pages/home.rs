use crate::components::{layout::PageContextResource, notices::FlashNotice};
use crate::paths;
use leptos::{either::Either, prelude::*};

#[component]
pub fn HomePage() -> impl IntoView {
    let PageContextResource(visitor) = expect_context();
    view! {
        <leptos_meta::Title text="Two-factor sign-in" />
        <h1>"Two-factor sign-in"</h1>
        <FlashNotice />
        <p class="lead">
            "Sign in with your password and a code from an authenticator app on your phone, such as "
            "Google Authenticator. If the phone is lost, a single-use recovery code gets you in."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match visitor.await.ok().and_then(|v| v.signed_in_as) {
                    Some(name) => Either::Left(view! {
                        <p id="signed-in-state">"You are signed in as " <strong>{name}</strong> "."</p>
                        <p><a class="button" href={paths::ACCOUNT}>"Go to your account"</a></p>
                    }),
                    None => Either::Right(view! {
                        <p id="signed-in-state">"You are not signed in."</p>
                        <p class="actions">
                            <a class="button" href={paths::LOGIN}>"Sign in"</a>
                            <a class="button secondary" href={paths::REGISTER}>"Create an account"</a>
                        </p>
                    }),
                }
            })}
        </Suspense>
    }
}
