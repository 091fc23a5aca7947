//! The account page (`/account`, the first of the account area's four): the 2FA state and its
//! changes, recovery codes and security keys. Sessions and the security log are on
//! `/account/sessions`, apps on `/account/apps`, the profile on `/account/profile`.
//!
//! Every section reads the one `AccountOverview` loaded for the page, and each is a small
//! component of its own below.

use crate::paths;
use crate::{
    api::{
        manage_two_factor::{DisableTwoFactor, RegenerateRecoveryCodes},
        page_data::{load_account_overview, AccountOverview, SecurityKeyView},
        security_keys::RemoveSecurityKey,
    },
    components::{
        account_nav::AccountNav, notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm,
    },
    islands::{
        local_time::LocalTime,
        otp_field::OtpField,
        security_keys::{NeedsJavaScript, SecurityKeyScript},
    },
    pages::two_factor_setup::RecoveryCodeList,
};
use leptos::{either::Either, prelude::*};
use server_fn::ServerFn;

#[component]
pub fn AccountPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_account_overview());
    view! {
        <leptos_meta::Title text="Your account — Two-factor sign-in" />
        <AccountNav current=paths::ACCOUNT />
        <h1>"Your account"</h1>
        <FlashNotice />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(account) => Either::Left(view! { <AccountDetails account /> }),
                    Err(e) => Either::Right(view! {
                        <p class="notice error" role="alert">{e.error}</p>
                        <p><a href={paths::LOGIN}>"Sign in"</a></p>
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
        code_digits,
        continue_to,
        app,
        security_keys,
        passkeys,
    } = account;
    let fresh = (!fresh_recovery_codes.is_empty()).then(|| {
        view! {
            <section class="card" id="fresh-recovery-codes">
                <h2>"Save your recovery codes"</h2>
                <RecoveryCodeList codes=fresh_recovery_codes />
            </section>
        }
    });
    // The protected app that sent the visitor here (after the codes are saved).
    let onwards = continue_to.map(|url| {
        view! {
            <p class="card"><a class="button" id="continue-to" href=url rel="external">"Continue to the site that asked"</a></p>
        }
    });
    let has_keys = !security_keys.is_empty();
    let manage = if two_factor {
        Either::Left(view! {
            <RecoveryCodesCard left=recovery_codes_left recently_authenticated digits=code_digits app
                security_key=has_keys />
            <DisableCard recently_authenticated />
        })
    } else {
        Either::Right(view! {
            <p><a class="button" href={paths::TWO_FACTOR_SETUP}>"Turn on two-factor authentication"</a></p>
        })
    };
    let status = if two_factor {
        Either::Left(view! {
            <p id="two-factor-status"><span class="badge on">"On"</span>
                " Two-factor authentication is on: signing in needs your password and a code from your app or a security key."</p>
        })
    } else {
        Either::Right(view! {
            <p id="two-factor-status"><span class="badge off">"Off"</span>
                " Two-factor authentication is off: your password alone opens this account."</p>
        })
    };
    view! {
        {fresh}
        {onwards}
        <section class="card">
            <p>"Signed in as " <strong id="account-username">{username}</strong></p>
            <h2>"Two-factor authentication"</h2>
            {status}
        </section>
        {manage}
        <SecurityKeysCard keys=security_keys app recently_authenticated two_factor passkeys />
    }
}

#[component]
fn RecoveryCodesCard(
    left: i64,
    recently_authenticated: bool,
    digits: usize,
    /// An authenticator app: new codes need one of its codes (with keys alone, the recent
    /// sign-in is the proof).
    app: bool,
    security_key: bool,
) -> impl IntoView {
    let warning = (left <= 2).then(|| {
        view! {
            <p class="notice error" role="status" id="few-recovery-codes">
                {format!("Only {left} recovery code{} left. Make new ones now.", if left == 1 { "" } else { "s" })}
            </p>
        }
    });
    let form = if recently_authenticated {
        let code = app.then(|| {
            view! {
                <p>"Making new codes voids the old ones. Enter a current code from your app:"</p>
                <OtpField autofocus=false submit_when_complete=true digits=digits />
            }
        });
        let keys_only = (!app).then(|| view! { <p>"Making new codes voids the old ones."</p> });
        Either::Left(view! {
            <PostForm action=RegenerateRecoveryCodes::PATH class="form" id="regenerate-form">
                {code}
                {keys_only}
                <button type="submit" class="secondary">"Make new recovery codes"</button>
            </PostForm>
        })
    } else {
        Either::Right(view! { <ReauthenticateForm with_code=app digits=digits security_key /> })
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

/// The account's security keys, a way to add one (a recent sign-in needed, JavaScript too) and
/// to remove each. The last second factor (no app, one key) asks for the password and a recovery
/// code, as turning 2FA off does.
#[component]
fn SecurityKeysCard(
    keys: Vec<SecurityKeyView>,
    app: bool,
    recently_authenticated: bool,
    /// With 2FA on, the form confirming the password (and a code) is on this page already, in
    /// the recovery codes' card; with it off, this card has it.
    two_factor: bool,
    /// Passkeys are on: "Add a passkey" beside "Add a security key".
    passkeys: bool,
) -> impl IntoView {
    let last_factor = !app && keys.len() == 1;
    let listed = (!keys.is_empty()).then(|| {
        let rows = keys
            .into_iter()
            .map(|key| {
                let label = format!("Remove {}", key.name);
                let used = match (key.last_used_at, key.last_used_at_utc) {
                    (Some(at), Some(utc)) => Either::Left(view! { ", last used " <LocalTime at utc /> }),
                    _ => Either::Right(", never used yet"),
                };
                let confirm = last_factor.then(|| {
                    view! {
                        <p>"It is your only second factor: removing it turns two-factor authentication off."</p>
                        <label for="remove-key-password">"Password"</label>
                        <input id="remove-key-password" name="password" type="password" autocomplete="current-password" required />
                        <label for="remove-key-otp">"A recovery code"</label>
                        <input id="remove-key-otp" name="otp" type="text" autocomplete="off" maxlength="32"
                            autocapitalize="none" spellcheck="false" required />
                    }
                });
                view! {
                    <li class="security-key" data-passkey=key.passkey.to_string()>
                        <strong>{key.name}</strong>
                        {key.passkey.then(|| view! { " " <span class="badge on">"passkey"</span> })}
                        ", added " <LocalTime at=key.added_at utc=key.added_at_utc />
                        {used}
                        <PostForm action=RemoveSecurityKey::PATH class="form">
                            <input type="hidden" name="key_id" value=key.id.to_string() />
                            {confirm}
                            <button type="submit" class="secondary" aria-label=label>"Remove"</button>
                        </PostForm>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="security-keys" id="security-keys">{rows}</ul> }
    });
    let add = if recently_authenticated {
        Either::Left(view! {
            <form class="form" id="add-security-key">
                <label for="security-key-name">"Key name"</label>
                <input id="security-key-name" name="name" type="text" maxlength="60" required
                    placeholder="Blue key" autocomplete="off" />
                <button type="button" data-security-key="add">"Add a security key"</button>
                {passkeys.then(|| view! {
                    " " <button type="button" class="secondary" data-security-key="add-passkey">"Add a passkey"</button>
                })}
                <NeedsJavaScript />
            </form>
        })
    } else {
        let confirm = (!two_factor).then(|| view! { <ReauthenticateForm with_code=false /> });
        Either::Right(view! {
            <p>"To add a security key, confirm your password (and a code) on this page first: your last sign-in was more than 10 minutes ago."</p>
            {confirm}
        })
    };
    view! {
        // Named by its heading: scripts and tests find it as the region "Security keys" (`docs/contract/security-keys.md`).
        <section class="card" aria-labelledby="security-keys-heading">
            <h2 id="security-keys-heading">"Security keys"</h2>
            <SecurityKeyScript />
            <p>"A security key (a USB or NFC key, or the one built into this device) signs you in with a touch, and no fake copy of this site can use it. A passkey is a key that also signs you in alone, unlocked with its PIN, fingerprint or face: no password, no code."</p>
            {listed}
            {add}
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_pages_default_digit_count_is_the_domains() {
        assert_eq!(crate::api::page_data::DEFAULT_CODE_DIGITS, domain::credentials::otp_params::DEFAULT_DIGITS);
    }
}
