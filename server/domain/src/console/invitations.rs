//! Invitations: a one-time link that lets one person make an account, even while registration
//! is closed, with the groups it grants, and (a per-invitation setting) the rule that the new
//! account turns on two-factor authentication before anything else. The link is shown once,
//! to its maker, or (mail on, an address given) mailed to the person invited and shown to nobody,
//! queued in the transaction that stores the invitation; only its hash is stored; it is used at
//! most once (`storage::invitations`).

use super::admin::Admin;
use sqlx::AnyPool;

use crate::{
    error::AuthError,
    flows::session::{self, SessionData},
    input,
    mail::messages,
    services::Services,
    storage::{
        admin_log::{self, AdminLogEntry},
        invitations::{self, Grants, Invitation, InvitationState, Redeemed},
        outbox::Outbox,
        security_log::Event,
    },
};

/// How long a link is valid unless its maker says otherwise.
pub const DEFAULT_DAYS: u32 = 7;
/// The longest validity accepted.
pub const MAX_DAYS: u32 = 365;

/// The path of an invitation link under `PUBLIC_URL`.
pub fn link(public_url: &str, token: &str) -> String {
    format!("{public_url}/invite/{token}")
}

/// What the maker asked for: `groups` comma-separated, `days` of validity (empty: the default),
/// and the address to mail the link to (empty: none, the link is shown).
pub struct InvitationRequest<'a> {
    pub groups: &'a str,
    pub days: Option<&'a str>,
    pub require_two_factor: bool,
    pub email: Option<&'a str>,
}

/// A new invitation: its id and either its link (shown once) or the address it was mailed to.
pub enum NewInvitation {
    Shown { id: String, link: String },
    Mailed { id: String, to: String },
}

fn days(field: Option<&str>) -> Result<u32, AuthError> {
    let field = field.map(str::trim).unwrap_or_default();
    if field.is_empty() {
        return Ok(DEFAULT_DAYS);
    }
    match field.parse::<u32>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(AuthError::BadInput(format!("\"Valid for (days)\" must be a whole number from 1 to {MAX_DAYS}."))),
    }
}

/// Who makes or revokes an invitation, for the admin log: an administrator, or the command line.
pub struct Maker<'a> {
    pub name: &'a str,
    pub client_address: Option<&'a str>,
    /// Who a mailed invitation says invites: the administrator's name, or "The administrator".
    pub invites_as: &'a str,
}

/// Makes an invitation, valid from `now`; its link starts with `public_url`. With an address in
/// the request the link is mailed through `outbox` (refused while mail is off: `None`), in the
/// transaction that stores the invitation, and shown to nobody.
pub async fn create_by(
    db: &AnyPool,
    public_url: &str,
    now: i64,
    maker: &Maker<'_>,
    request: &InvitationRequest<'_>,
    outbox: Option<Outbox<'_>>,
) -> Result<NewInvitation, AuthError> {
    let grants = Grants { groups: input::groups(request.groups)?, require_two_factor: request.require_two_factor };
    let expires_at = now + i64::from(days(request.days)?) * 24 * 60 * 60;
    let mail_to = match (input::email(request.email.map(str::to_owned))?, outbox) {
        (Some(to), Some(outbox)) => Some((to, outbox)),
        (Some(_), None) => {
            return Err(AuthError::BadInput(
                "This service sends no mail (SMTP_URL and MAIL_FROM are not set): leave the email empty and pass the link on yourself."
                    .into(),
            ))
        }
        (None, _) => None,
    };
    let mut tx = db.begin().await?;
    let (id, token) = invitations::create(&mut tx, &grants, maker.name, now, expires_at).await?;
    let link = link(public_url, &token);
    if let Some((to, outbox)) = &mail_to {
        outbox.queue(&mut tx, &messages::invitation(to, &link, expires_at, maker.invites_as), now).await?;
    }
    tx.commit().await?;
    log(db, now, maker, "invitation.created", &id).await;
    Ok(match mail_to {
        Some((to, _)) => NewInvitation::Mailed { id, to },
        None => NewInvitation::Shown { id, link },
    })
}

async fn log(db: &AnyPool, now: i64, maker: &Maker<'_>, action: &str, subject: &str) {
    let entry = AdminLogEntry {
        at: now,
        admin: maker.name.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        client_address: maker.client_address.map(str::to_owned),
    };
    admin_log::record(db, &entry).await;
}

fn maker(admin: &Admin) -> Maker<'_> {
    Maker { name: &admin.username, client_address: admin.client_address.as_deref(), invites_as: &admin.username }
}

pub async fn create(
    services: &Services,
    admin: &Admin,
    request: &InvitationRequest<'_>,
) -> Result<NewInvitation, AuthError> {
    let outbox = services.outbox();
    let made =
        create_by(&services.db, &services.settings.public_url, services.now(), &maker(admin), request, outbox).await?;
    if matches!(made, NewInvitation::Mailed { .. }) {
        services.mail_queued();
    }
    Ok(made)
}

pub async fn list(services: &Services) -> Result<Vec<Invitation>, AuthError> {
    Ok(invitations::list(&services.db, services.now()).await?)
}

/// Revokes an open invitation; `BadInput` when there is none by that id.
pub async fn revoke_by(db: &AnyPool, now: i64, maker: &Maker<'_>, id: &str) -> Result<(), AuthError> {
    if !invitations::revoke(db, id, now).await? {
        return Err(AuthError::BadInput(format!("There is no open invitation {:?}.", id.trim())));
    }
    log(db, now, maker, "invitation.revoked", id.trim()).await;
    Ok(())
}

pub async fn revoke(services: &Services, admin: &Admin, id: &str) -> Result<(), AuthError> {
    revoke_by(&services.db, services.now(), &maker(admin), id).await
}

/// Whether the link is open (its page shows the form), or `InvitationGone`.
pub async fn check(services: &Services, token: &str) -> Result<Grants, AuthError> {
    match invitations::find(&services.db, token, services.now()).await? {
        Some(Invitation { state: InvitationState::Open, grants, .. }) => Ok(grants),
        _ => Err(AuthError::InvitationGone),
    }
}

/// Where a new account goes after its invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterInvitation {
    Account,
    /// The invitation requires two-factor authentication: its setup comes first.
    TwoFactorSetup,
}

/// Uses the link: makes the account with the invitation's groups, signs this session in to it.
/// Works while registration is closed (the link is the operator's consent).
pub async fn register(
    services: &Services,
    session: &impl SessionData,
    token: &str,
    username: Option<String>,
    password: Option<String>,
) -> Result<(String, AfterInvitation), AuthError> {
    let name = input::new_username(username)?;
    let password = input::new_password(password)?;
    // A spent link is answered before any hashing work; the claim below still decides a race.
    check(services, token).await?;
    let hash = services.passwords.hash(password).await?;
    let (account_id, grants) = match invitations::redeem(&services.db, token, &name, &hash, services.now()).await? {
        Redeemed::Created { account_id, grants } => (account_id, grants),
        Redeemed::Gone => return Err(AuthError::InvitationGone),
        Redeemed::NameTaken => return Err(AuthError::UsernameTaken),
    };
    tracing::info!(user_id = account_id, "account registered with an invitation");
    services.log(account_id, Event::RegisteredByInvitation, session.client_address()).await;
    session::complete_sign_in(session, account_id, 0, services.now()).await?;
    let next = if grants.require_two_factor { AfterInvitation::TwoFactorSetup } else { AfterInvitation::Account };
    Ok((name.as_str().to_owned(), next))
}
