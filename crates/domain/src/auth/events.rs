//! Recording what happens to an account in its security log.

use super::{AuthService, Principal};
use crate::error::Result;
use crate::security_log::{RecordedEvent, SecurityEventKind, record_best_effort};
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

    /// Records `kind` for `user`, best effort (see
    /// [`record_best_effort`]).
    pub(super) async fn log_event(
        &self,
        user: UserId,
        kind: SecurityEventKind,
        origin: Origin<'_>,
    ) {
        let now = self.ports.clock.now();
        let log = self.ports.security.as_ref();
        record_best_effort(log, user, kind, origin.session_id, origin.client, now).await;
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
