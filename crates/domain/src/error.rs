//! The domain's error type: what went wrong, in the rules' own words.

use std::fmt;

/// Result of a domain operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a domain operation did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The resource does not exist or belongs to another user.
    #[error("not found")]
    NotFound,
    /// The email address is already used by another account.
    #[error("email already registered")]
    EmailTaken,
    /// Unknown email or wrong password (one answer for both).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed logins in a row: the account is locked for a while.
    #[error("account locked")]
    AccountLocked {
        /// Seconds until logins are accepted again.
        retry_after_secs: u64,
    },
    /// A password-reset token that is unknown, expired, used, or older
    /// than the last password change.
    #[error("invalid reset token")]
    InvalidResetToken,
    /// The action needs the current password and none was given.
    #[error("current password required")]
    ConfirmationRequired,
    /// A signed-in user confirmed an action with the wrong password.
    #[error("wrong confirmation password")]
    WrongPassword,
    /// A sign-in challenge that is unknown, expired, used, or older than
    /// the last password change.
    #[error("invalid sign-in challenge")]
    InvalidChallenge,
    /// A wrong, reused or malformed second-factor code at sign-in.
    #[error("invalid second-factor code")]
    InvalidSecondFactor,
    /// A signed-in user confirmed an action with a wrong second-factor code.
    #[error("wrong second-factor code")]
    WrongSecondFactor,
    /// The second factor is on already.
    #[error("second factor already enabled")]
    SecondFactorEnabled,
    /// The second factor is not on.
    #[error("second factor not enabled")]
    SecondFactorNotEnabled,
    /// No second-factor enrolment was started (or another replaced it).
    #[error("no second-factor enrolment pending")]
    NoPendingEnrolment,
    /// Right credentials, but the account is deactivated.
    #[error("account disabled")]
    AccountDisabled,
    /// Right credentials, but the account's email is not verified and
    /// sign-in requires it.
    #[error("email not verified")]
    EmailNotVerified,
    /// An email-verification link that is unknown, expired or used.
    #[error("invalid verification token")]
    InvalidVerificationToken,
    /// The access token is missing, malformed, expired, or revoked, or its
    /// user no longer exists or is inactive.
    #[error("unauthorized: {0}")]
    Unauthorized(TokenRejection),
    /// A task cannot go where it was asked to (its parent or sibling).
    #[error("bad placement: {0}")]
    Placement(crate::task::PlacementError),
    /// Another of the user's labels has that name (ignoring case).
    #[error("label name taken")]
    LabelTaken,
    /// The user has [`MAX_LABELS_PER_USER`](crate::label::MAX_LABELS_PER_USER)
    /// labels already; `field` is where the new one was named.
    #[error("too many labels")]
    TooManyLabels {
        /// `name` (a label created) or `labels` (one a task write named).
        field: &'static str,
    },
    /// The user has
    /// [`MAX_LIVE_TOKENS_PER_USER`](crate::access_token::MAX_LIVE_TOKENS_PER_USER)
    /// live personal access tokens already.
    #[error("too many personal access tokens")]
    TooManyAccessTokens,
    /// A personal access token reached a route it may not: one outside its
    /// scopes (the scope it lacks), or an account route (`None`).
    #[error("insufficient scope")]
    InsufficientScope(Option<crate::access_token::Scope>),
    /// An `If-Match` precondition did not hold: the task changed meanwhile.
    #[error("precondition failed")]
    PreconditionFailed,
    /// A sync cursor that is not one this user was given.
    #[error("invalid sync cursor")]
    InvalidCursor,
    /// A sync cursor older than the change log's retention: the client
    /// must start again from a snapshot.
    #[error("sync cursor expired")]
    CursorExpired,
    /// The `Idempotency-Key` was used before with a different request.
    #[error("idempotency key reused with another request")]
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still running.
    #[error("idempotent request in progress")]
    IdempotencyInProgress,
    /// The storage cannot be reached right now; the caller may retry.
    #[error("storage unavailable")]
    Unavailable,
    /// Anything else: a bug or an unexpected failure of an adapter.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Wraps an unexpected adapter failure.
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }
}

/// Why an access token was refused (for logs; clients see one answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenRejection {
    /// No token was presented.
    Missing,
    /// Not a well-formed, correctly signed token for this service.
    Invalid,
    /// The token's lifetime is over.
    Expired,
    /// The token's user does not exist any more or is inactive.
    UnknownUser,
    /// The token's session has ended, or the password changed after it
    /// was issued.
    Revoked,
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "missing token",
            Self::Invalid => "invalid token",
            Self::Expired => "expired token",
            Self::UnknownUser => "unknown or inactive user",
            Self::Revoked => "revoked token",
        })
    }
}
