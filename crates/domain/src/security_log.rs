//! The security event log (ASVS 5.0 V16.3): sign-ins, failures, locks,
//! second-factor and password changes, and ended sessions, each with the
//! account, the session and the request it came from. Users may read
//! their own account's events; nothing of another account's is ever in
//! them.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::session::{ClientInfo, SessionId};
use crate::user::UserId;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecurityEventKind {
    /// The account was created (and its first session started).
    Registered,
    /// A sign-in started a session.
    LoginSucceeded,
    /// A sign-in gave a wrong password, or came while the account was
    /// locked.
    LoginFailed,
    /// A signed-in user confirmed an action with a wrong password.
    PasswordConfirmationFailed,
    /// A wrong or reused second-factor code.
    SecondFactorFailed,
    /// Failures in a row locked the account.
    AccountLocked,
    /// TOTP was turned on.
    TotpEnabled,
    /// TOTP was turned off.
    TotpDisabled,
    /// A recovery code was used up at sign-in.
    RecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated,
    /// The password was changed by its user.
    PasswordChanged,
    /// A password reset was asked for by email.
    PasswordResetRequested,
    /// The password was set by a reset link.
    PasswordReset,
    /// A change of the email address was asked for (it waits for the new
    /// address to be verified).
    EmailChangeRequested,
    /// The email address was changed.
    EmailChanged,
    /// A verification link proved the account's email address.
    EmailVerified,
    /// One session was ended by its user.
    SessionEnded,
    /// Every other session was ended by the user.
    OtherSessionsEnded,
    /// A rotated refresh token came back: every session was ended.
    RefreshTokenReused,
}

impl SecurityEventKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 19] = [
        Self::Registered,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::PasswordConfirmationFailed,
        Self::SecondFactorFailed,
        Self::AccountLocked,
        Self::TotpEnabled,
        Self::TotpDisabled,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::EmailVerified,
        Self::SessionEnded,
        Self::OtherSessionsEnded,
        Self::RefreshTokenReused,
    ];

    /// Its name in logs, storage and the API (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::PasswordConfirmationFailed => "password_confirmation_failed",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::AccountLocked => "account_locked",
            Self::TotpEnabled => "totp_enabled",
            Self::TotpDisabled => "totp_disabled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::EmailVerified => "email_verified",
            Self::SessionEnded => "session_ended",
            Self::OtherSessionsEnded => "other_sessions_ended",
            Self::RefreshTokenReused => "refresh_token_reused",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for SecurityEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Whose account.
    pub user_id: UserId,
    /// What happened.
    pub kind: SecurityEventKind,
    /// The session it happened in or to, when there is one.
    pub session_id: Option<SessionId>,
    /// The request it came from.
    pub client: ClientInfo,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored event with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Grows with every event stored: the cursor of the listing.
    pub id: i64,
    /// The event.
    pub event: SecurityEvent,
}

/// Where security events go: kept for their user to read, and written to
/// the operator's log.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait SecurityLog: Send + Sync {
    /// Stores `event`.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn record(&self, event: SecurityEvent) -> Result<()>;
    /// The user's events, newest first: at most `limit`, and only those
    /// with an id below `before` when it is given.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn list(
        &self,
        user: UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>>;
}

/// Records what `kind` of event happened to `user` at `at`, in
/// `session_id`, from `client`. Best effort: an answer already decided
/// does not change because the log could not be written (the adapter
/// writes the operator's log either way).
pub(crate) async fn record_best_effort(
    log: &dyn SecurityLog,
    user: UserId,
    kind: SecurityEventKind,
    session_id: Option<SessionId>,
    client: &ClientInfo,
    at: DateTime<Utc>,
) {
    let event = SecurityEvent {
        user_id: user,
        kind,
        session_id,
        client: client.clone(),
        at,
    };
    let _ = log.record(event).await;
}

/// A mock log that keeps what it is given in `events`.
#[cfg(test)]
pub(crate) fn recording_log(
    events: &std::sync::Arc<std::sync::Mutex<Vec<SecurityEvent>>>,
) -> MockSecurityLog {
    let events = events.clone();
    let mut log = MockSecurityLog::new();
    log.expect_record().returning(move |event| {
        events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event);
        Ok(())
    });
    log
}

/// The kinds of the events kept by [`recording_log`], in order.
#[cfg(test)]
pub(crate) fn kinds(
    events: &std::sync::Arc<std::sync::Mutex<Vec<SecurityEvent>>>,
) -> Vec<SecurityEventKind> {
    let events = events
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    events.iter().map(|event| event.kind).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_name_that_parses_back() {
        let mut names: Vec<&str> = SecurityEventKind::ALL.iter().map(|k| k.as_str()).collect();
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SecurityEventKind::ALL.len());
        assert_eq!(SecurityEventKind::parse("Login_Succeeded"), None);
    }
}
