//! Recording what happens to an account in its security log.

use super::{AuthService, Principal};
use crate::error::Result;
use crate::security_log::{RecordedEvent, SecurityEvent, SecurityEventKind};
use crate::session::{ClientInfo, SessionId};
use crate::user::UserId;

impl AuthService {
    /// The caller's own security events, newest first: at most `limit`,
    /// and only those older than the event `before` when it is given.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    pub async fn security_events(
        &self,
        principal: &Principal,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>> {
        self.ports
            .security
            .list(principal.user.id, before, limit)
            .await
    }

    /// Records `kind` for `user`. Best effort: an answer already decided
    /// does not change because the log could not be written (the adapter
    /// tells the operator's log either way).
    pub(super) async fn log_event(
        &self,
        user: UserId,
        kind: SecurityEventKind,
        origin: Origin<'_>,
    ) {
        let event = SecurityEvent {
            user_id: user,
            kind,
            session_id: origin.session_id,
            client: origin.client.clone(),
            at: self.ports.clock.now(),
        };
        let _ = self.ports.security.record(event).await;
    }
}

/// Where a request came from, for the events it causes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'a> {
    /// The session it came through, if signed in.
    pub session_id: Option<SessionId>,
    /// The client.
    pub client: &'a ClientInfo,
}

impl<'a> Origin<'a> {
    /// A request without a session (a sign-in, say).
    pub fn anonymous(client: &'a ClientInfo) -> Self {
        Self {
            session_id: None,
            client,
        }
    }

    /// A signed-in request.
    pub fn of(principal: &'a Principal) -> Self {
        Self {
            session_id: principal.session_id,
            client: &principal.client,
        }
    }
}
