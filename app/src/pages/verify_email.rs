//! `/verify-email/{token}`: a link that verifies an email address. The server answers the link
//! itself before this page renders (it verifies and moves on to `/account/profile`, or sends a
//! visitor who is not signed in to sign in first); this page shows only why a link verified
//! nothing, with its status: 403 for a link of another account, 410 for one used, expired,
//! replaced, or sent to an address the account no longer has, 409 for an address another account
//! has verified.

use crate::paths;
use leptos::prelude::*;

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    // Without a refusal the link was not followed (a HEAD request, say): nothing changed.
    let message = refusal_message()
        .unwrap_or_else(|| "Open the link from the mail in your browser to verify your address.".to_owned());
    view! {
        <leptos_meta::Title text="Verify your email address — Two-factor sign-in" />
        <h1>"Your email address is not verified"</h1>
        <p class="notice error" role="alert" id="verify-email-refused">{message}</p>
        <p><a href={paths::PROFILE}>"Your profile"</a></p>
    }
}

/// Why the link verified nothing, its status set on the response.
#[cfg(feature = "ssr")]
fn refusal_message() -> Option<String> {
    let refused = crate::server::email_link::of_this_request()?;
    crate::server::response_options::set_status(refused.status);
    Some(refused.message)
}

#[cfg(not(feature = "ssr"))]
fn refusal_message() -> Option<String> {
    None
}
