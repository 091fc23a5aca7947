//! Changing 2FA once it is on: `POST /api/2fa/disable`, `POST /api/2fa/recovery-codes`, and the
//! re-authentication they may ask for first (`POST /api/reauthenticate`).

use super::{Done, RecoveryCodes};
use crate::api_error::ApiError;
use leptos::prelude::*;

/// Turns 2FA off. `otp` takes a current code or a recovery code.
#[server(endpoint = "2fa/disable")]
pub async fn disable_two_factor(password: Option<String>, otp: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{error::respond, state::request_context, two_factor};
    async {
        let (state, session) = request_context().await?;
        two_factor::disable(&state, &session, password, otp).await?;
        Ok(Done {})
    }
    .await
    .map_err(respond)
}

/// New recovery codes for a current code; the old ones stop working.
#[server(endpoint = "2fa/recovery-codes")]
pub async fn regenerate_recovery_codes(otp: Option<String>) -> Result<RecoveryCodes, ApiError> {
    use crate::server::{error::respond, state::request_context, two_factor};
    async {
        let (state, session) = request_context().await?;
        let recovery_codes = two_factor::regenerate_recovery_codes(&state, &session, otp).await?;
        Ok(RecoveryCodes { recovery_codes })
    }
    .await
    .map_err(respond)
}

/// Password and a current code again, for sensitive changes after the 10-minute window.
#[server(endpoint = "reauthenticate")]
pub async fn reauthenticate(password: Option<String>, otp: Option<String>) -> Result<Done, ApiError> {
    use crate::server::{error::respond, state::request_context, two_factor};
    async {
        let (state, session) = request_context().await?;
        two_factor::reauthenticate(&state, &session, password, otp).await?;
        Ok(Done {})
    }
    .await
    .map_err(respond)
}
