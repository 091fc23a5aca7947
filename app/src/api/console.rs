//! The operator's console (`docs/contract/console.md`): what its pages load (`/api/ui/admin…`)
//! and the actions its forms post (`/api/admin/…`). Every one answers 404 to anyone who is not
//! a member of `ADMIN_GROUP` signed in with two factors; every action also needs a recent
//! sign-in (401, and the page asks for the password and a code again).

use super::Done;
use crate::api_error::ApiError;
#[cfg(feature = "ssr")]
use crate::paths;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRow {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub groups: String,
    pub two_factor: bool,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub groups: String,
    pub require_two_factor: bool,
    pub created_by: String,
    pub expires_at_utc: String,
    /// open, used, revoked or expired.
    pub state: String,
    pub used_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminLogRow {
    pub at_utc: String,
    pub admin: String,
    pub action: String,
    pub subject: String,
}

/// The console's front page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsoleOverview {
    pub search: String,
    pub page: i64,
    pub more: bool,
    pub people: Vec<PersonRow>,
    pub invitations: Vec<InvitationRow>,
    pub apps: Vec<AppRow>,
    /// The access rules as loaded, one line each, then the default.
    pub rules: Vec<String>,
    pub log: Vec<AdminLogRow>,
    /// Whether changes are allowed now, or need the password and a code again.
    pub recently_authenticated: bool,
    pub code_digits: usize,
    /// Whether mail is on: an invitation may be mailed ("Email").
    #[serde(default)]
    pub mail: bool,
}

/// An OpenID Connect app as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRow {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: String,
    pub policy: String,
    pub allowed_groups: String,
    /// A machine client alone (`--grant client_credentials`): nobody signs in to it, so it has
    /// no redirect URIs, groups or policy to show.
    #[serde(default)]
    pub machine: bool,
    /// What its `client_credentials` grant gives (space-separated; empty for other apps).
    #[serde(default)]
    pub scopes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEventRow {
    pub at_utc: String,
    pub kind: String,
    pub client_address: Option<String>,
}

/// One person's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDetails {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub email_verified: bool,
    pub groups: String,
    pub app: bool,
    pub security_keys: i64,
    pub recovery_codes_left: i64,
    pub disabled: bool,
    pub created_at_utc: String,
    pub last_sign_in_utc: Option<String>,
    pub events: Vec<LoggedEventRow>,
    pub sessions: Vec<PersonSessionRow>,
    pub apps: Vec<PersonAppRow>,
    pub recently_authenticated: bool,
    pub code_digits: usize,
}

/// A session of the person (signed in with every factor, at the account's current epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSessionRow {
    pub browser: String,
    pub client_address: Option<String>,
    pub signed_in_utc: String,
    pub last_used_utc: String,
}

/// An app holding live tokens for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonAppRow {
    pub name: String,
    pub client_id: String,
    pub last_sign_in_utc: String,
}

#[cfg(feature = "ssr")]
fn format_utc(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds).ok().and_then(|t| t.format(format).ok()).unwrap_or_default()
}

/// The administrator of this request, and whether their sign-in is recent.
#[cfg(feature = "ssr")]
async fn console_visitor() -> Result<
    (crate::server::state::AppState, crate::server::session::RequestSession, domain::console::admin::Admin, bool),
    ApiError,
> {
    use crate::server::session::request_context;
    let (state, session) = request_context()?;
    let admin = domain::console::admin::Admin::of(&state, &session).await?;
    let recent = domain::visitor::Visitor::of(&state, &session).await?.recently_signed_in(&state).is_ok();
    Ok((state, session, admin, recent))
}

#[server(endpoint = "ui/admin")]
pub async fn load_console(search: Option<String>, page: Option<i64>) -> Result<ConsoleOverview, ApiError> {
    use domain::storage::{admin_log, invitations::InvitationState, people};
    let (state, _session, _admin, recently_authenticated) = console_visitor().await?;
    let search = search.unwrap_or_default().chars().take(100).collect::<String>();
    let page = page.unwrap_or(0).clamp(0, 10_000);
    let found = people::search(&state.db, &search, page).await.map_err(domain::AuthError::from)?;
    let people = found
        .people
        .into_iter()
        .map(|p| PersonRow {
            username: p.username,
            display_name: p.display_name,
            email: p.email,
            groups: p.groups.join(", "),
            two_factor: p.two_factor,
            disabled: p.disabled,
        })
        .collect();
    let invitations = domain::console::invitations::list(&state)
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id,
            groups: i.grants.groups.join(", "),
            require_two_factor: i.grants.require_two_factor,
            created_by: i.created_by,
            expires_at_utc: format_utc(i.expires_at),
            state: match i.state {
                InvitationState::Open => "open",
                InvitationState::Used => "used",
                InvitationState::Revoked => "revoked",
                InvitationState::Expired => "expired",
            }
            .to_owned(),
            used_by: i.used_by,
        })
        .collect();
    let log = admin_log::recent(&state.db)
        .await
        .map_err(domain::AuthError::from)?
        .into_iter()
        .map(|e| AdminLogRow { at_utc: format_utc(e.at), admin: e.admin, action: e.action, subject: e.subject })
        .collect();
    Ok(ConsoleOverview {
        search,
        page,
        more: found.more,
        people,
        invitations,
        apps: console_apps(&state).await?,
        rules: state.settings.access_rules.summary(),
        log,
        recently_authenticated,
        code_digits: state.settings.otp_policy.digits,
        mail: state.settings.mail.is_some(),
    })
}

/// The most apps the console lists.
#[cfg(feature = "ssr")]
const APPS_SHOWN: usize = 200;

/// The apps, for the console.
#[cfg(feature = "ssr")]
async fn console_apps(state: &crate::server::state::AppState) -> Result<Vec<AppRow>, ApiError> {
    Ok(domain::console::apps::list(state)
        .await?
        .into_iter()
        // Bounded like every list of the console.
        .take(APPS_SHOWN)
        .map(|app| AppRow {
            machine: app.machine_only(),
            scopes: app.scopes.join(" "),
            client_id: app.client_id,
            name: app.name,
            redirect_uris: app.redirect_uris.join(" "),
            policy: app.policy.as_str().to_owned(),
            allowed_groups: app.allowed_groups.join(", "),
        })
        .collect())
}

/// An app's secret, in this answer only (for a browser, in the next page's message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSecret {
    pub client_id: String,
    pub client_secret: String,
}

/// The administrator of a console form on `/admin`, with a recent sign-in.
#[cfg(feature = "ssr")]
async fn console_change() -> Result<
    (crate::server::state::AppState, domain::console::admin::Admin, crate::server::form_reply::FormPost),
    ApiError,
> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::CONSOLE);
    let (state, session) = request_context()?;
    let admin = domain::console::admin::Admin::for_change(&state, &session).await?;
    Ok((state, admin, form))
}

#[server(endpoint = "admin/apps/add")]
pub async fn add_app(
    client_id: Option<String>,
    name: Option<String>,
    redirect_uris: Option<String>,
    policy: Option<String>,
    allowed_groups: Option<String>,
) -> Result<AppSecret, ApiError> {
    use domain::console::apps::{self, AppRequest};
    let (state, admin, form) = console_change().await?;
    let client_id = client_id.unwrap_or_default();
    let request = AppRequest {
        client_id: &client_id,
        name: name.as_deref().unwrap_or_default(),
        redirect_uris: redirect_uris.as_deref().unwrap_or_default(),
        policy: policy.as_deref().unwrap_or_default(),
        allowed_groups: allowed_groups.as_deref().unwrap_or_default(),
    };
    let client_secret = apps::add(&state, &admin, &request).await?;
    let message = format!(
        "The app {} is added. Copy its client secret now, it is shown only once: {client_secret}",
        client_id.trim()
    );
    form.next(paths::CONSOLE, Some(&message));
    Ok(AppSecret { client_id: client_id.trim().to_owned(), client_secret })
}

#[server(endpoint = "admin/apps/delete")]
pub async fn delete_app(client_id: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form) = console_change().await?;
    let client_id = client_id.unwrap_or_default();
    domain::console::apps::delete(&state, &admin, &client_id).await?;
    form.next(paths::CONSOLE, Some(&format!("The app {} is deleted; its tokens have ended.", client_id.trim())));
    Ok(Done {})
}

#[server(endpoint = "admin/apps/rotate-secret")]
pub async fn rotate_app_secret(client_id: Option<String>) -> Result<AppSecret, ApiError> {
    let (state, admin, form) = console_change().await?;
    let client_id = client_id.unwrap_or_default();
    let client_secret = domain::console::apps::rotate_secret(&state, &admin, &client_id).await?;
    let message = format!(
        "The app {} has a new client secret (the old one no longer works). Copy it now, it is shown only once: {client_secret}",
        client_id.trim()
    );
    form.next(paths::CONSOLE, Some(&message));
    Ok(AppSecret { client_id: client_id.trim().to_owned(), client_secret })
}

#[server(endpoint = "admin/apps/access")]
pub async fn set_app_access(
    client_id: Option<String>,
    allowed_groups: Option<String>,
    policy: Option<String>,
) -> Result<Done, ApiError> {
    let (state, admin, form) = console_change().await?;
    let client_id = client_id.unwrap_or_default();
    domain::console::apps::set_access(
        &state,
        &admin,
        &client_id,
        allowed_groups.as_deref().unwrap_or_default(),
        policy.as_deref().unwrap_or_default(),
    )
    .await?;
    form.next(paths::CONSOLE, Some(&format!("Who may use {} is saved.", client_id.trim())));
    Ok(Done {})
}

#[server(endpoint = "ui/admin/person")]
pub async fn load_person(username: String) -> Result<PersonDetails, ApiError> {
    use domain::storage::security_log;
    let (state, _session, _admin, recently_authenticated) = console_visitor().await?;
    let person = domain::storage::people::find(&state.db, &username)
        .await
        .map_err(domain::AuthError::from)?
        .ok_or(domain::AuthError::NotFound)?;
    let events = security_log::recent(&state.db, person.id, 30)
        .await
        .map_err(domain::AuthError::from)?
        .into_iter()
        .map(|e| LoggedEventRow { at_utc: format_utc(e.at), kind: e.kind, client_address: e.client_address })
        .collect();
    let sessions = domain::flows::sessions::sessions_of(&state, person.id)
        .await?
        .into_iter()
        .map(|s| PersonSessionRow {
            browser: s.browser,
            client_address: s.client_address,
            signed_in_utc: format_utc(s.signed_in_at),
            last_used_utc: format_utc(s.last_used_at),
        })
        .collect();
    let apps = domain::flows::apps::apps_of(&state, person.id)
        .await?
        .into_iter()
        .map(|a| PersonAppRow { name: a.name, client_id: a.client_id, last_sign_in_utc: format_utc(a.last_sign_in) })
        .collect();
    Ok(PersonDetails {
        sessions,
        apps,
        username: person.username,
        display_name: person.display_name.unwrap_or_default(),
        email: person.email.unwrap_or_default(),
        email_verified: person.email_verified,
        groups: person.groups.join(", "),
        app: person.app,
        security_keys: person.security_keys,
        recovery_codes_left: person.recovery_codes_left,
        disabled: person.disabled,
        created_at_utc: format_utc(person.created_at),
        last_sign_in_utc: person.last_sign_in.map(format_utc),
        events,
        recently_authenticated,
        code_digits: state.settings.otp_policy.digits,
    })
}

/// An action on one person: the administrator (with a recent sign-in), and the form's page
/// (the person's), where a failure returns.
#[cfg(feature = "ssr")]
async fn person_action(
    username: &Option<String>,
) -> Result<
    (crate::server::state::AppState, domain::console::admin::Admin, crate::server::form_reply::FormPost, String),
    ApiError,
> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let username = username.clone().unwrap_or_default();
    let form = FormPost::on_path(paths::console_person(&username));
    let (state, session) = request_context()?;
    let admin = domain::console::admin::Admin::for_change(&state, &session).await?;
    Ok((state, admin, form, username))
}

#[server(endpoint = "admin/people/disable")]
pub async fn disable_person(username: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let person = domain::console::people::disable(&state, &admin, &username).await?;
    form.next(&paths::console_person(&person.username), Some(&format!("{} is disabled.", person.username)));
    Ok(Done {})
}

#[server(endpoint = "admin/people/enable")]
pub async fn enable_person(username: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let person = domain::console::people::enable(&state, &admin, &username).await?;
    form.next(&paths::console_person(&person.username), Some(&format!("{} is enabled.", person.username)));
    Ok(Done {})
}

#[server(endpoint = "admin/people/reset-2fa")]
pub async fn reset_person_two_factor(username: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let person = domain::console::people::reset_two_factor(&state, &admin, &username).await?;
    let message = format!("Two-factor authentication is off for {}; their sessions have ended.", person.username);
    form.next(&paths::console_person(&person.username), Some(&message));
    Ok(Done {})
}

#[server(endpoint = "admin/people/end-sessions")]
pub async fn end_person_sessions(username: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let person = domain::console::people::end_all_sessions(&state, &admin, &username).await?;
    form.next(
        &paths::console_person(&person.username),
        Some(&format!("Every session of {} has ended.", person.username)),
    );
    Ok(Done {})
}

#[server(endpoint = "admin/people/groups")]
pub async fn set_person_groups(username: Option<String>, groups: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let groups = groups.unwrap_or_default();
    let person = domain::console::people::set_groups(&state, &admin, &username, &groups).await?;
    form.next(&paths::console_person(&person.username), Some("The groups are saved."));
    Ok(Done {})
}

#[server(endpoint = "admin/people/profile")]
pub async fn set_person_profile(
    username: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let person = domain::console::people::set_profile(&state, &admin, &username, display_name, email).await?;
    form.next(&paths::console_person(&person.username), Some("The name and email are saved."));
    Ok(Done {})
}

#[server(endpoint = "admin/people/delete")]
pub async fn delete_person(username: Option<String>, confirm: Option<String>) -> Result<Done, ApiError> {
    let (state, admin, form, username) = person_action(&username).await?;
    let confirm = confirm.unwrap_or_default();
    let person = domain::console::people::delete(&state, &admin, &username, &confirm).await?;
    form.next(paths::CONSOLE, Some(&format!("The account {} is deleted.", person.username)));
    Ok(Done {})
}

#[server(endpoint = "admin/people/create")]
pub async fn create_person(
    username: Option<String>,
    password: Option<String>,
    groups: Option<String>,
) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::CONSOLE);
    let (state, session) = request_context()?;
    let admin = domain::console::admin::Admin::for_change(&state, &session).await?;
    let groups = groups.unwrap_or_default();
    let name = domain::console::people::create(&state, &admin, username, password, &groups).await?;
    form.next(&paths::console_person(&name), Some(&format!("The account {name} is created.")));
    Ok(Done {})
}

/// A new invitation: the link is in this answer only (and, for a browser, in the next page's
/// message), never again; or, mailed, the address it went to (the link is shown to nobody).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationMade {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to: Option<String>,
}

#[server(endpoint = "admin/invitations/create")]
pub async fn create_invitation(
    groups: Option<String>,
    days: Option<String>,
    require_2fa: Option<String>,
    email: Option<String>,
) -> Result<InvitationMade, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    use domain::console::invitations::{self, InvitationRequest, NewInvitation};
    let form = FormPost::on(paths::CONSOLE);
    let (state, session) = request_context()?;
    let admin = domain::console::admin::Admin::for_change(&state, &session).await?;
    let request = InvitationRequest {
        groups: groups.as_deref().unwrap_or_default(),
        days: days.as_deref(),
        require_two_factor: require_2fa.is_some_and(|v| !matches!(v.trim(), "" | "false" | "0" | "off")),
        email: email.as_deref(),
    };
    match invitations::create(&state, &admin, &request).await? {
        NewInvitation::Shown { id, link } => {
            let message = format!("Invitation created. Copy the link now, it is shown only once: {link}");
            form.next(paths::CONSOLE, Some(&message));
            Ok(InvitationMade { id, link: Some(link), sent_to: None })
        }
        NewInvitation::Mailed { id, to } => {
            form.next(paths::CONSOLE, Some(&format!("The invitation was sent to {to}.")));
            Ok(InvitationMade { id, link: None, sent_to: Some(to) })
        }
    }
}

#[server(endpoint = "admin/invitations/revoke")]
pub async fn revoke_invitation(id: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{form_reply::FormPost, session::request_context};
    let form = FormPost::on(paths::CONSOLE);
    let (state, session) = request_context()?;
    let admin = domain::console::admin::Admin::for_change(&state, &session).await?;
    domain::console::invitations::revoke(&state, &admin, id.as_deref().unwrap_or_default()).await?;
    form.next(paths::CONSOLE, Some("The invitation is revoked."));
    Ok(Done {})
}

/// The answer of "check a URL".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleChecked {
    pub matched: String,
    pub decision: String,
}

/// "Check a URL": reads nothing but the rules and the person; no recent sign-in needed.
#[server(endpoint = "admin/rules/check")]
pub async fn check_url(
    url: Option<String>,
    method: Option<String>,
    username: Option<String>,
    from: Option<String>,
) -> Result<RuleChecked, ApiError> {
    use crate::server::form_reply::FormPost;
    use domain::{console::rules, visitor::Visitor};
    let form = FormPost::on(paths::CONSOLE);
    let (state, _session, _admin, _) = console_visitor().await?;
    let username = username.unwrap_or_default();
    let visitor = if username.trim().is_empty() {
        Visitor::Anonymous
    } else {
        rules::person(&state.db, &username, state.now()).await?
    };
    let url = url.unwrap_or_default();
    let method = method.as_deref().unwrap_or_default();
    let checked = rules::check(&state.settings.access_rules, &url, method, from.as_deref(), &visitor)?;
    let who = if username.trim().is_empty() { "nobody signed in".to_owned() } else { username.trim().to_owned() };
    let whence = match from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(address) => format!(" from {address}"),
        None => String::new(),
    };
    let message = format!("{} for {who}{whence}: {} ({})", url.trim(), checked.decision, checked.matched);
    form.next(paths::CONSOLE, Some(&message));
    Ok(RuleChecked { matched: checked.matched, decision: checked.decision })
}
