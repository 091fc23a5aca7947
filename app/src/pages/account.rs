//! The account page: the 2FA state and its changes, recovery codes, security keys, the profile,
//! sessions and the security log.
//!
//! One piece (over 350 lines): every section reads the one `AccountOverview` loaded for the page,
//! and each is a small component of its own below.

use crate::paths;
use crate::{
    api::{
        manage_two_factor::{DisableTwoFactor, RegenerateRecoveryCodes},
        page_data::{load_account_overview, AccountOverview, SecurityEvent, SecurityKeyView},
        profile::SaveProfile,
        security_keys::RemoveSecurityKey,
        sign_in::SignOutOtherSessions,
    },
    components::{notices::FlashNotice, post_form::PostForm, reauthenticate::ReauthenticateForm},
    islands::{
        local_time::LocalTime,
        otp_field::OtpField,
        security_keys::{NeedsJavaScript, SecurityKeyScript},
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
        <leptos_meta::Title text="Your account — Two-factor sign-in" />
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
        events,
        code_digits,
        continue_to,
        display_name,
        email,
        email_verified,
        app,
        security_keys,
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
        <SecurityKeysCard keys=security_keys app recently_authenticated />
        <SessionsCard recently_authenticated two_factor />
        <ProfileCard display_name email email_verified recently_authenticated />
        <ActivityCard events />
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
fn SecurityKeysCard(keys: Vec<SecurityKeyView>, app: bool, recently_authenticated: bool) -> impl IntoView {
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
                    <li class="security-key">
                        <strong>{key.name}</strong>
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
                <NeedsJavaScript />
            </form>
        })
    } else {
        Either::Right(view! {
            <p>"To add a security key, confirm your password (and a code) on this page first: your last sign-in was more than 10 minutes ago."</p>
        })
    };
    view! {
        // Named by its heading: scripts and tests find it as the region "Security keys" (`docs/contract/security-keys.md`).
        <section class="card" aria-labelledby="security-keys-heading">
            <h2 id="security-keys-heading">"Security keys"</h2>
            <SecurityKeyScript />
            <p>"A security key (a USB or NFC key, or the one built into this device) signs you in with a touch, and no fake copy of this site can use it."</p>
            {listed}
            {add}
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
                        <tr data-kind=e.kind.clone()>
                            <td><LocalTime at=e.at utc=e.at_utc /></td>
                            <td>
                                {event_words(&e.kind)}
                                {e.key_name.map(|name| format!(": {name}"))}
                            </td>
                            <td>{e.client_address.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The display name and email the sign-in gate passes to the apps it protects. The address is
/// passed only once verified; changing it needs a recent sign-in (the form to confirm the
/// password is on this page already, above), the display name does not.
#[component]
fn ProfileCard(
    display_name: String,
    email: String,
    email_verified: bool,
    recently_authenticated: bool,
) -> impl IntoView {
    let status = (!email.is_empty()).then(|| {
        if email_verified {
            Either::Left(view! {
                <p id="email-status"><span class="badge on">"Verified"</span>
                    " Apps you sign in to are given this address."</p>
            })
        } else {
            Either::Right(view! {
                <p id="email-status"><span class="badge off">"Not verified"</span>
                    " Apps are not given this address until it is verified: ask the administrator to set it for you."</p>
            })
        }
    });
    let locked = (!recently_authenticated).then(|| {
        view! {
            <p id="email-locked">"To change your email, confirm your password above first: your last sign-in was more than 10 minutes ago."</p>
        }
    });
    view! {
        <section class="card">
            <h2>"Profile"</h2>
            <p>"What the apps behind this sign-in are told about you, besides your username."</p>
            <PostForm action=SaveProfile::PATH class="form" id="profile-form">
                <label for="display_name">"Display name"</label>
                <input id="display_name" name="display_name" type="text" autocomplete="name" maxlength="100" value=display_name />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" maxlength="254" value=email
                    readonly=!recently_authenticated />
                {status}
                {locked}
                <button type="submit" class="secondary">"Save profile"</button>
            </PostForm>
        </section>
    }
}

/// What a security event means to the account's owner. The log stores only the event's kind
/// (`domain::storage::security_log::Event::kind`): the words are the page's.
fn event_words(kind: &str) -> &'static str {
    match kind {
        "sign_in.success.password" => "Signed in with password",
        "sign_in.success.totp" => "Signed in with password and authenticator code",
        "sign_in.success.recovery_code" => "Signed in with password and a recovery code",
        "sign_in.failure.password" => "Failed sign-in: wrong password",
        "sign_in.failure.totp" => "Failed sign-in: wrong authenticator code",
        "sign_in.failure.recovery_code" => "Failed sign-in: wrong recovery code",
        "second_factor.locked" => "Sign-in with codes locked after too many wrong codes",
        "two_factor.enabled" => "Two-factor authentication turned on",
        "two_factor.disabled" => "Two-factor authentication turned off",
        "recovery_codes.regenerated" => "New recovery codes made (the old ones no longer work)",
        "reauthenticated" => "Confirmed password and code for a sensitive change",
        "sessions.ended_others" => "Signed out of every other session",
        "account.registered" => "Account created",
        "two_factor.reset_by_operator" => "Two-factor authentication turned off by an administrator",
        "throttling.cleared_by_operator" => "Sign-in limits cleared by an administrator",
        "sign_in.success.security_key" => "Signed in with password and a security key",
        "sign_in.failure.security_key" => "Failed sign-in: a security key was not accepted",
        "security_key.added" => "Security key added",
        "security_key.removed" => "Security key removed",
        "sessions.ended_one" => "Signed out of another session",
        "sessions.ended_all" => "Signed out of every session",
        "oidc.access_removed" => "Access removed from an app",
        _ => "Other account activity",
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use domain::storage::security_log::Event;

    /// Every kind the domain logs has words of its own on the page.
    #[test]
    fn every_logged_kind_is_worded() {
        for event in Event::ALL {
            assert_ne!(super::event_words(event.kind()), "Other account activity", "{}", event.kind());
        }
    }

    #[test]
    fn the_pages_default_digit_count_is_the_domains() {
        assert_eq!(crate::api::page_data::DEFAULT_CODE_DIGITS, domain::credentials::otp_params::DEFAULT_DIGITS);
    }
}
