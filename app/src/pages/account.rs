use crate::{
    api::page_data::{load_account_overview, AccountOverview},
    components::notices::FlashNotice,
    pages::two_factor_setup::RecoveryCodeList,
};
use leptos::{either::Either, prelude::*};

#[component]
pub fn AccountPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_account_overview());
    view! {
        <h1>"Your account"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(account) => Either::Left(view! { <AccountDetails account /> }),
                    Err(e) => Either::Right(view! {
                        <p class="notice error" role="alert">{e.error}</p>
                        <p><a href="/login" rel="external">"Sign in"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountDetails(account: AccountOverview) -> impl IntoView {
    let AccountOverview { username, two_factor, recovery_codes_left, fresh_recovery_codes } = account;
    let fresh = (!fresh_recovery_codes.is_empty()).then(|| view! {
        <section class="card">
            <h2>"Save your recovery codes"</h2>
            <RecoveryCodeList codes=fresh_recovery_codes />
        </section>
    });
    let status = if two_factor {
        Either::Left(view! {
            <p id="two-factor-status"><span class="badge on">"On"</span>
                " Two-factor authentication is on: signing in needs your password and a code from your app."</p>
            <p class:warning=recovery_codes_left <= 2>
                "Recovery codes left: " <strong id="recovery-codes-left">{recovery_codes_left}</strong>
            </p>
        })
    } else {
        Either::Right(view! {
            <p id="two-factor-status"><span class="badge off">"Off"</span>
                " Two-factor authentication is off: your password alone opens this account."</p>
            <p><a class="button" href="/account/2fa/setup" rel="external">"Turn on two-factor authentication"</a></p>
        })
    };
    view! {
        {fresh}
        <section class="card">
            <p>"Signed in as " <strong id="account-username">{username}</strong></p>
            <h2>"Two-factor authentication"</h2>
            {status}
        </section>
    }
}
