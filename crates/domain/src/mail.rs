//! Email the rules send: a password-reset link, an email-verification
//! link, a notice to an address that the account is moving away from it,
//! and a notice to an account's owner that repeated failed sign-ins
//! locked it.

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

    /// Hands an email-verification link over for delivery, as
    /// [`Mailer::send_reset`] does.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) only when the message
    /// cannot even be queued.
    async fn send_verification(&self, mail: VerificationMail) -> Result<()>;

    /// Hands a notice to an account's current address, that a change to
    /// another was asked for, over for delivery, as [`Mailer::send_reset`]
    /// does.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) only when the message
    /// cannot even be queued.
    async fn send_email_change(&self, mail: EmailChangeMail) -> Result<()>;
}

/// A link that proves its recipient reads the address it went to.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationMail {
    /// Recipient: the address to verify.
    pub to: Email,
    /// Recipient's display name.
    pub name: UserName,
    /// The verification token (goes into the link; never logged in
    /// production).
    pub token: String,
    /// How long the token is valid.
    pub valid_for: Duration,
    /// Whether the address is one the account is changing to (else the
    /// one it registered with).
    pub change: bool,
}

impl std::fmt::Debug for VerificationMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationMail")
            .field("to", &self.to)
            .field("change", &self.change)
            .finish_non_exhaustive()
    }
}

/// A notice to an account's current address that a change of the
/// account's email to another was asked for (it takes effect when the
/// new address is verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChangeMail {
    /// Recipient: the current address.
    pub to: Email,
    /// Recipient's display name.
    pub name: UserName,
    /// The address asked for.
    pub new_email: Email,
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
