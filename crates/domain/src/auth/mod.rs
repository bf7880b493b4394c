//! Accounts and access: registration, sign-in with lock-out and a second
//! factor, sessions with rotating refresh tokens, token checks, and account management.
//!
//! This module holds [`AuthService`], its ports, settings and answers; its
//! rules are spread over modules by topic.

mod access_tokens;
mod account;
mod events;
mod lockout;
mod second_factor;
mod sign_in;
mod tokens;
mod verification;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

pub use second_factor::{SecondFactorStatus, TotpEnrolment};

use crate::access_token::AccessTokenStore;
pub use crate::bearer::Principal;
use crate::mail::Mailer;
use crate::ports::{
    Clock, LockoutPolicy, OpaqueTokens, PasswordHasher, SessionRepository, TokenCodec,
    UserRepository,
};
use crate::rate_limit::{Budget, RateLimiter};
use crate::second_factor::{OneTimeCodes, SecondFactorStore};
use crate::security_log::SecurityLog;
use crate::session::{Session, SessionId, SessionLifetime};
use crate::user::{Email, User, UserName};
use crate::verification::EmailVerificationStore;

/// Tunables of [`AuthService`].
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token (and of an idle session).
    pub refresh_token_ttl: Duration,
    /// The longest a session lasts from the login that started it, however
    /// often it is refreshed.
    pub session_max_lifetime: Duration,
    /// When repeated failed logins lock an account.
    pub lockout: LockoutPolicy,
    /// The longest lifetime accepted of an access token without a session
    /// (`sid`), as the shared-secret frontends sign: from its `iat`, or
    /// from now when it has none.
    pub max_external_token_ttl: Duration,
    /// Whether sign-in refuses an account whose email is not verified.
    pub require_verified_email: bool,
    /// How long an email-verification link works.
    pub verification_ttl: Duration,
}

impl AuthSettings {
    /// How long sessions last.
    pub fn session_lifetime(&self) -> SessionLifetime {
        SessionLifetime {
            idle: self.refresh_token_ttl,
            absolute: self.session_max_lifetime,
        }
    }
}

/// Lock-out notices one account is sent at most: a lock every quarter of
/// an hour, all day, must not become a flood of mail.
pub const LOCKOUT_NOTICES: Budget = Budget {
    limit: 3,
    window: Duration::days(1),
};

/// Freshly issued tokens and the user they are for.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The signed access token.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The opaque refresh token (shown once, stored only as a hash).
    pub refresh_token: String,
    /// When the session ends at the latest: no refresh goes past it.
    pub session_ends_at: DateTime<Utc>,
    /// The session.
    pub session_id: SessionId,
    /// Their user.
    pub user: User,
}

/// What a right password gets.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// A new session.
    Complete(Tokens),
    /// The account has a second factor: finish with
    /// [`AuthService::finish_login`] and this challenge.
    SecondFactorRequired {
        /// The single-use challenge (shown once, stored only as a hash).
        challenge: String,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
}

/// A session as listed to its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session.
    pub session: Session,
    /// Whether the listing request came through it.
    pub current: bool,
}

/// Requested changes to the caller's own profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// New display name.
    pub name: Option<UserName>,
    /// New email; needs `current_password`, and takes effect when a link
    /// sent to it is followed.
    pub email: Option<Email>,
    /// The current password, to confirm an email change.
    pub current_password: Option<String>,
}

/// The ports [`AuthService`] works through.
#[derive(Clone)]
pub struct AuthPorts {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Sessions and refresh tokens.
    pub sessions: Arc<dyn SessionRepository>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub tokens: Arc<dyn TokenCodec>,
    /// Refresh tokens.
    pub opaque: Arc<dyn OpaqueTokens>,
    /// Personal access tokens.
    pub access_tokens: Arc<dyn AccessTokenStore>,
    /// The secrets of personal access tokens and their unkeyed SHA-256
    /// hashes (so that rotating the server's secret keeps them working).
    pub token_secrets: Arc<dyn OpaqueTokens>,
    /// Second factors, recovery codes and sign-in challenges.
    pub factors: Arc<dyn SecondFactorStore>,
    /// TOTP codes, secrets and recovery codes.
    pub codes: Arc<dyn OneTimeCodes>,
    /// Lock-out notices to account owners.
    pub mailer: Arc<dyn Mailer>,
    /// Where sign-ins, failures and account changes are recorded.
    pub security: Arc<dyn SecurityLog>,
    /// Email-verification links.
    pub verifications: Arc<dyn EmailVerificationStore>,
    /// The per-account budget of lock-out notices.
    pub limiter: RateLimiter,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuthPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPorts").finish_non_exhaustive()
    }
}

/// The account rules.
#[derive(Debug)]
pub struct AuthService {
    ports: AuthPorts,
    settings: AuthSettings,
}

impl AuthService {
    /// Wires the service to its ports.
    pub fn new(ports: AuthPorts, settings: AuthSettings) -> Self {
        Self { ports, settings }
    }
}

#[cfg(test)]
mod tests;
