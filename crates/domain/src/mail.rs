//! Email the rules send: a password-reset link, and a notice to an
//! account's owner that repeated failed sign-ins locked it.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::Result;
use crate::user::{Email, UserName};

/// A password-reset email to send.
#[derive(Clone, PartialEq, Eq)]
pub struct ResetMail {
    /// Recipient.
    pub to: Email,
    /// Recipient's display name.
    pub name: UserName,
    /// The reset token (goes into the link; never logged in production).
    pub token: String,
    /// How long the token is valid.
    pub valid_for: Duration,
}

impl std::fmt::Debug for ResetMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetMail")
            .field("to", &self.to)
            .field("valid_for", &self.valid_for)
            .finish_non_exhaustive()
    }
}

/// Sends email.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands a reset email over for delivery. Implementations MUST NOT make
    /// the caller wait for a mail server: delivery happens in the
    /// background, and its failures are logged, not returned.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) only when the message
    /// cannot even be queued.
    async fn send_reset(&self, mail: ResetMail) -> Result<()>;

    /// Hands a lock-out notice over for delivery, as
    /// [`Mailer::send_reset`] does.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) only when the message
    /// cannot even be queued.
    async fn send_lockout(&self, mail: LockoutMail) -> Result<()>;
}

/// A notice to an account's owner that failed sign-ins locked it: the
/// sign-in answer itself does not say so (it must not tell anyone else
/// that the account exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutMail {
    /// Recipient.
    pub to: Email,
    /// Recipient's display name.
    pub name: UserName,
    /// Failed sign-ins in a row that locked it.
    pub failures: u32,
    /// When the lock ends by itself.
    pub locked_until: DateTime<Utc>,
}
