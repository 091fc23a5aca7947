//! The navigation of the account area: its four pages (`paths::ACCOUNT_AREA`), the current one
//! marked `aria-current="page"`. Plain links: each page works without JavaScript, and with it the
//! in-page navigation moves between them.

use crate::paths;
use leptos::prelude::*;

/// Each page of the account area and its link's words, in order.
const LINKS: [(&str, &str); 4] =
    [(paths::ACCOUNT, "Security"), (paths::SESSIONS, "Sessions"), (paths::APPS, "Apps"), (paths::PROFILE, "Profile")];

#[component]
pub fn AccountNav(
    /// The page showing it (one of `paths::ACCOUNT_AREA`).
    current: &'static str,
) -> impl IntoView {
    let links = LINKS
        .into_iter()
        .map(|(href, words)| {
            let here = (href == current).then_some("page");
            view! { <li><a href=href aria-current=here>{words}</a></li> }
        })
        .collect_view();
    view! {
        <nav aria-label="Account" class="account-nav">
            <ul>{links}</ul>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    /// The navigation names every page of the account area, in its order.
    #[test]
    fn every_account_page_has_its_link() {
        let linked: Vec<&str> = super::LINKS.iter().map(|(href, _)| *href).collect();
        assert_eq!(linked, crate::paths::ACCOUNT_AREA);
    }
}
