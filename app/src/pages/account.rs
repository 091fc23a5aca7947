use crate::{
    api::{
        manage_two_factor::{DisableTwoFactor, RegenerateRecoveryCodes},
        page_data::{load_account_overview, AccountOverview, SecurityEvent},
        sign_in::SignOutOtherSessions,
    },
    components::{
        local_time::LocalTime, notices::FlashNotice, otp_field::OtpField, post_form::PostForm,
        reauthenticate::ReauthenticateForm,
    },
    pages::two_factor_setup::RecoveryCodeList,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use server_fn::ServerFn;

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
    let AccountOverview {
        username,
        two_factor,
        recovery_codes_left,
        fresh_recovery_codes,
        recently_authenticated,
        events,
        code_digits,
    } = account;
    let fresh = (!fresh_recovery_codes.is_empty()).then(|| {
        view! {
            <section class="card" id="fresh-recovery-codes">
                <h2>"Save your recovery codes"</h2>
                <RecoveryCodeList codes=fresh_recovery_codes />
            </section>
        }
    });
    let manage = if two_factor {
        Either::Left(view! {
            <RecoveryCodesCard left=recovery_codes_left recently_authenticated digits=code_digits />
            <DisableCard recently_authenticated />
        })
    } else {
        Either::Right(view! {
            <p><a class="button" href="/account/2fa/setup" rel="external">"Turn on two-factor authentication"</a></p>
        })
    };
    let status = if two_factor {
        Either::Left(view! {
            <p id="two-factor-status"><span class="badge on">"On"</span>
                " Two-factor authentication is on: signing in needs your password and a code from your app."</p>
        })
    } else {
        Either::Right(view! {
            <p id="two-factor-status"><span class="badge off">"Off"</span>
                " Two-factor authentication is off: your password alone opens this account."</p>
        })
    };
    view! {
        {fresh}
        <section class="card">
            <p>"Signed in as " <strong id="account-username">{username}</strong></p>
            <h2>"Two-factor authentication"</h2>
            {status}
        </section>
        {manage}
        <SessionsCard recently_authenticated two_factor />
        <ActivityCard events />
    }
}

#[component]
fn RecoveryCodesCard(left: i64, recently_authenticated: bool, digits: usize) -> impl IntoView {
    let warning = (left <= 2).then(|| {
        view! {
            <p class="notice error" role="status" id="few-recovery-codes">
                {format!("Only {left} recovery code{} left. Make new ones now.", if left == 1 { "" } else { "s" })}
            </p>
        }
    });
    let form = if recently_authenticated {
        Either::Left(view! {
            <PostForm action=RegenerateRecoveryCodes::PATH class="form" id="regenerate-form">
                <p>"Making new codes voids the old ones. Enter a current code from your app:"</p>
                <OtpField autofocus=false submit_when_complete=true digits=digits />
                <button type="submit" class="secondary">"Make new recovery codes"</button>
            </PostForm>
        })
    } else {
        Either::Right(view! { <ReauthenticateForm with_code=true digits=digits /> })
    };
    view! {
        <section class="card">
            <h2>"Recovery codes"</h2>
            <p>"Recovery codes left: " <strong id="recovery-codes-left">{left}</strong></p>
            {warning}
            {form}
        </section>
    }
}

#[component]
fn DisableCard(recently_authenticated: bool) -> impl IntoView {
    let body = if recently_authenticated {
        Either::Left(view! {
            <p>"Your password alone will open the account again, and your recovery codes will stop working."</p>
            <PostForm action=DisableTwoFactor::PATH class="form" id="disable-form">
                <label for="disable-password">"Password"</label>
                <input id="disable-password" name="password" type="password" autocomplete="current-password" required />
                <label for="disable-otp">"Code from your app, or a recovery code"</label>
                <input id="disable-otp" name="otp" type="text" autocomplete="one-time-code" maxlength="32"
                    autocapitalize="none" spellcheck="false" required />
                <button type="submit" class="danger">"Turn off two-factor authentication"</button>
            </PostForm>
        })
    } else {
        Either::Right(view! { <p>"To turn it off, confirm your password and a code above first."</p> })
    };
    view! {
        <section class="card">
            <h2>"Turn off two-factor authentication"</h2>
            {body}
        </section>
    }
}

/// Ending the other sessions needs a recent sign-in, like changes to the second factor (a stale
/// session must not be able to throw the owner out).
#[component]
fn SessionsCard(recently_authenticated: bool, two_factor: bool) -> impl IntoView {
    let body = if recently_authenticated {
        EitherOf3::A(view! {
            <PostForm action=SignOutOtherSessions::PATH class="form">
                <button type="submit" class="secondary">"End every other session"</button>
            </PostForm>
        })
    } else if two_factor {
        // The form asking for the password and a code is on this page already, above.
        EitherOf3::B(view! { <p>"To do so, confirm your password and a code above first."</p> })
    } else {
        EitherOf3::C(view! { <ReauthenticateForm with_code=false /> })
    };
    view! {
        <section class="card">
            <h2>"Sessions"</h2>
            <p>"Signed in on a computer you no longer use? End every other session of your account."</p>
            {body}
        </section>
    }
}

#[component]
fn ActivityCard(events: Vec<SecurityEvent>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Recent security activity"</h2>
            <table class="activity" id="security-log">
                <thead>
                    <tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"From"</th></tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|e| view! {
                        <tr data-kind=e.kind>
                            <td><LocalTime at=e.at utc=e.at_utc /></td>
                            <td>{e.detail}</td>
                            <td>{e.client_address.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
