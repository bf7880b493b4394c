//! The bearer of an access token or a personal access token, before and
//! after storage vouches for it.
//!
//! A token's signature and expiry (or a personal access token's stored
//! facts) are checked in memory; whether its user is still active at the
//! token's version and its session or personal access token still
//! unrevoked is a question for storage, answered by [`Bearer::admit`] (the one rule; the
//! SQL adapters state it once as a condition of their task statements).
//! [`AuthService::authenticate`](crate::AuthService::authenticate) asks it
//! on its own; the task repository must act only for a live bearer, and
//! [`TaskService`](crate::TaskService) asks why when it found nothing.

use crate::access_token::AccessTokenId;
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
    /// Whether the credential asked about (a session, or a personal access
    /// token, of this user) is live: not ended, not revoked. Always true
    /// when none was asked about.
    pub credential_live: bool,
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

/// What storage must find live, besides the user, for a bearer to act:
/// what its token was issued under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A session (TaskPulse's access tokens): live until it ends.
    Session(SessionId),
    /// A personal access token: live until revoked (its expiry is checked
    /// in memory, as an access token's is).
    AccessToken(AccessTokenId),
}

/// A token whose signature and expiry checked out: who it speaks for, not
/// yet confirmed by storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    /// The user the token was issued to.
    pub user_id: UserId,
    /// What the token was issued under; `None` for access tokens minted
    /// outside TaskPulse.
    pub credential: Option<Credential>,
    /// The user's token version when the token was issued.
    pub token_version: i64,
}

impl Bearer {
    /// The bearer's session, if its token was issued to one.
    pub fn session_id(&self) -> Option<SessionId> {
        match self.credential {
            Some(Credential::Session(id)) => Some(id),
            _ => None,
        }
    }

    /// Whether storage's view of the token's user and credential lets it
    /// in: the user exists and is active, the password has not changed
    /// since (same token version), and the session or personal access
    /// token, if any, has not ended or been revoked.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] saying which of these failed.
    pub fn admit(&self, subject: Option<TokenSubject>) -> Result<Principal> {
        let Some(subject) = subject.filter(|s| s.user.is_active) else {
            return Err(Error::Unauthorized(TokenRejection::UnknownUser));
        };
        if !subject.credential_live || subject.token_version != self.token_version {
            return Err(Error::Unauthorized(TokenRejection::Revoked));
        }
        Ok(Principal {
            user: subject.user,
            session_id: self.session_id(),
            client: ClientInfo::default(),
        })
    }
}
