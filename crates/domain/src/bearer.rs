//! The bearer of an access token, before and after storage vouches for it.
//!
//! A token's signature and expiry are checked in memory; whether its user is
//! still active at the token's version and its session still open is a
//! question for storage, answered by [`Bearer::admit`] (the one rule; the
//! SQL adapters state it once as a condition of their task statements).
//! [`AuthService::authenticate`](crate::AuthService::authenticate) asks it
//! on its own; the task repository must act only for a live bearer, and
//! [`TaskService`](crate::TaskService) asks why when it found nothing.

use crate::error::{Error, Result, TokenRejection};
use crate::session::{ClientInfo, SessionId};
use crate::user::{User, UserId};

/// What the per-request token check needs about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    /// The account.
    pub user: User,
    /// Bumped whenever the password changes; tokens carry the value they
    /// were issued under.
    pub token_version: i64,
    /// Whether the session asked about is live (always true when none was).
    pub session_live: bool,
}

/// Who a valid access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The active user.
    pub user: User,
    /// The token's session; `None` for tokens minted outside TaskPulse.
    pub session_id: Option<SessionId>,
    /// The request the token came with (for the security log); the
    /// adapter that reads the request fills it in.
    pub client: ClientInfo,
}

/// An access token whose signature and expiry checked out: who it speaks
/// for, not yet confirmed by storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    /// The user the token was issued to.
    pub user_id: UserId,
    /// The token's session; `None` for tokens minted outside TaskPulse.
    pub session_id: Option<SessionId>,
    /// The user's token version when the token was issued.
    pub token_version: i64,
}

impl Bearer {
    /// Whether storage's view of the token's user and session lets it in:
    /// the user exists and is active, the password has not changed since
    /// (same token version), and the session, if any, has not ended.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] saying which of these failed.
    pub fn admit(&self, subject: Option<TokenSubject>) -> Result<Principal> {
        let Some(subject) = subject.filter(|s| s.user.is_active) else {
            return Err(Error::Unauthorized(TokenRejection::UnknownUser));
        };
        if !subject.session_live || subject.token_version != self.token_version {
            return Err(Error::Unauthorized(TokenRejection::Revoked));
        }
        Ok(Principal {
            user: subject.user,
            session_id: self.session_id,
            client: ClientInfo::default(),
        })
    }
}
