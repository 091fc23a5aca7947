//! Who may use the console: a member of `ADMIN_GROUP`, signed in with two factors. Anyone else
//! gets `NotFound` (the console's existence is not revealed). A change also needs a recent
//! sign-in (the 10-minute rule every sensitive change follows).

use crate::{
    error::AuthError,
    flows::session::SessionData,
    services::Services,
    storage::admin_log::{self, AdminLogEntry},
    visitor::Visitor,
};

/// An administrator, for the length of one request.
#[derive(Debug, Clone)]
pub struct Admin {
    pub user_id: i64,
    pub username: String,
    pub client_address: Option<String>,
}

impl Admin {
    /// The console's visitor, or `NotFound`.
    pub async fn of(services: &Services, session: &impl SessionData) -> Result<Admin, AuthError> {
        let visitor = Visitor::of(services, session).await?;
        admin_of(services, &visitor, session)
    }

    /// The console's visitor, for a change: also a recent sign-in (`ReauthenticationRequired`).
    pub async fn for_change(services: &Services, session: &impl SessionData) -> Result<Admin, AuthError> {
        let visitor = Visitor::of(services, session).await?;
        let admin = admin_of(services, &visitor, session)?;
        visitor.recently_signed_in(services)?;
        Ok(admin)
    }

    /// Writes `action` on `subject` to the admin log, naming this administrator.
    pub async fn log(&self, services: &Services, action: &str, subject: &str) {
        let entry = AdminLogEntry {
            at: services.now(),
            admin: self.username.clone(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            client_address: self.client_address.clone(),
        };
        admin_log::record(&services.db, &entry).await;
    }
}

fn admin_of(services: &Services, visitor: &Visitor, session: &impl SessionData) -> Result<Admin, AuthError> {
    let Visitor::SignedIn(signed_in) = visitor else { return Err(AuthError::NotFound) };
    let member = signed_in.identity.groups.contains(&services.settings.admin_group);
    if !member || !signed_in.factors.two() {
        return Err(AuthError::NotFound);
    }
    Ok(Admin {
        user_id: signed_in.user_id,
        username: signed_in.identity.username.clone(),
        client_address: session.client_address().map(str::to_owned),
    })
}

/// Whether the signed-in visitor may see the console (the layout's link to it).
pub fn may_use_console(services: &Services, visitor: &Visitor) -> bool {
    matches!(visitor, Visitor::SignedIn(signed_in)
        if signed_in.factors.two() && signed_in.identity.groups.contains(&services.settings.admin_group))
}
