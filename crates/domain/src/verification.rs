//! Email verification: single-use links that prove a user reads an
//! address, the one they registered with or one they asked to change to.
//! Following one makes it the account's verified email.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::Result;
use crate::rate_limit::Budget;
use crate::session::TokenHash;
use crate::user::{Email, UserId};

/// Resent verification links, and apart from them change-of-address
/// requests, one account is sent at most (beyond the link registration
/// sends).
pub const VERIFICATION_MAILS: Budget = Budget {
    limit: 3,
    window: Duration::hours(1),
};

/// What a followed link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEmail {
    /// Whose account.
    pub user_id: UserId,
    /// Its email now, verified.
    pub email: Email,
    /// Its email before (the same unless the link was for a change).
    pub previous: Email,
}

/// Where verification links are kept, as hashes.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait EmailVerificationStore: Send + Sync {
    /// Stores a link (by its hash) for `user`, at token version
    /// `token_version`, to prove `email` until `expires_at`, replacing the
    /// user's earlier links for that address.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage
    /// cannot be reached.
    async fn issue(
        &self,
        hash: &TokenHash,
        user: UserId,
        email: &Email,
        token_version: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;

    /// Uses up the live link `hash` in one step: its account's email
    /// becomes the link's address, verified, and every other link of the
    /// account is dropped. `None` for an unknown, expired or used link, or
    /// one issued before the account's password last changed (so that a
    /// password change stops an email change a thief asked for).
    ///
    /// # Errors
    /// [`Error::EmailTaken`](crate::Error::EmailTaken) when another
    /// account has the address now (nothing changes);
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage
    /// cannot be reached.
    async fn redeem(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<VerifiedEmail>>;

    /// Deletes the links expired at `now`; answers how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage
    /// cannot be reached.
    async fn purge(&self, now: DateTime<Utc>) -> Result<u64>;
}
