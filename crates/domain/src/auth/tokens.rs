//! Tokens after sign-in: refresh-token rotation with reuse detection,
//! logout, and access-token checks.

use chrono::{DateTime, Duration, Utc};

use super::events::Origin;
use super::{AuthService, AuthSettings, Principal, Tokens};
use crate::bearer::{Bearer, Credential};
use crate::error::{Error, Result, TokenRejection};
use crate::ports::AccessClaims;
use crate::security_log::SecurityEventKind;
use crate::session::{ClientInfo, Rotation};

/// How far a token's `iat` and `nbf` may lie ahead of this server's clock.
pub const CLOCK_LEEWAY: Duration = Duration::seconds(60);

impl AuthService {
    /// Exchanges a refresh token for new tokens in the same session; the
    /// presented one stops working. No token outlives the session's
    /// absolute end. Presenting an already-rotated token
    /// again ends every session of its user (it was stolen or replayed),
    /// and is logged with `client`.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for an unknown, expired, rotated or ended token.
    pub async fn refresh(&self, refresh_token: &str, client: &ClientInfo) -> Result<Tokens> {
        let presented = self.ports.opaque.hash(refresh_token);
        let (next, next_hash) = self.ports.opaque.generate()?;
        let now = self.ports.clock.now();
        match self
            .ports
            .sessions
            .rotate(
                &presented,
                &next_hash,
                now,
                self.settings.session_lifetime(),
            )
            .await?
        {
            Rotation::Rotated {
                session_id,
                user_id,
                ends_at,
            } => {
                let subject = self
                    .ports
                    .users
                    .find_token_subject(user_id, Some(Credential::Session(session_id)))
                    .await?;
                let Some(subject) = subject.filter(|s| s.user.is_active && s.credential_live)
                else {
                    return Err(Error::Unauthorized(TokenRejection::UnknownUser));
                };
                let (access_token, expires_in) =
                    self.access_token(&subject.user, session_id, subject.token_version, ends_at)?;
                Ok(Tokens {
                    access_token,
                    expires_in,
                    refresh_token: next,
                    session_ends_at: ends_at,
                    session_id,
                    user: subject.user,
                })
            }
            Rotation::Reused { user_id } => {
                self.ports.sessions.end_all(user_id, None, now).await?;
                let kind = SecurityEventKind::RefreshTokenReused;
                self.log_event(user_id, kind, Origin::anonymous(client))
                    .await;
                Err(Error::Unauthorized(TokenRejection::Revoked))
            }
            _ => Err(Error::Unauthorized(TokenRejection::Invalid)),
        }
    }

    /// Ends the session a refresh token belongs to, with its access tokens.
    /// An unknown token is not an error: the session is over either way.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn logout(&self, refresh_token: &str) -> Result<()> {
        let presented = self.ports.opaque.hash(refresh_token);
        self.ports
            .sessions
            .end_by_token(&presented, self.ports.clock.now())
            .await
    }

    /// The bearer of a well-signed, unexpired access token, without asking
    /// storage whether it was revoked: for callers whose storage acts only
    /// for a live bearer, such as [`TaskService`](crate::TaskService)'s.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the token is invalid or expired.
    pub fn bearer(&self, token: &str) -> Result<Bearer> {
        let claims = self
            .ports
            .tokens
            .decode(token)
            .map_err(Error::Unauthorized)?;
        let now = self.ports.clock.now();
        if claims.expires_at <= now {
            return Err(Error::Unauthorized(TokenRejection::Expired));
        }
        if !times_allow(&self.settings, &claims, now) {
            return Err(Error::Unauthorized(TokenRejection::Invalid));
        }
        Ok(Bearer {
            user_id: claims.user_id,
            credential: claims.session_id.map(Credential::Session),
            token_version: claims.token_version,
        })
    }

    /// The active user (and session) an access token speaks for.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the token is invalid or expired, its user
    /// is gone or inactive, its session has ended, or the password changed
    /// after it was issued.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        self.principal(self.bearer(token)?).await
    }

    /// The active user (and session) `bearer` speaks for, as storage sees
    /// it now.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when its user is gone or inactive, its
    /// session has ended, or the password changed after it was issued.
    pub async fn principal(&self, bearer: Bearer) -> Result<Principal> {
        let subject = self
            .ports
            .users
            .find_token_subject(bearer.user_id, bearer.credential)
            .await?;
        bearer.admit(subject)
    }
}

/// Whether the times of `claims` let it in at `now`, its expiry aside:
/// issued and valid from no later than [`CLOCK_LEEWAY`] from now (ASVS 5.0
/// V9.2.1), and, for a token without a session, living no longer than
/// [`AuthSettings::max_external_token_ttl`].
fn times_allow(settings: &AuthSettings, claims: &AccessClaims, now: DateTime<Utc>) -> bool {
    let latest = now + CLOCK_LEEWAY;
    if claims.issued_at.is_some_and(|at| at > latest)
        || claims.not_before.is_some_and(|at| at > latest)
    {
        return false;
    }
    claims.session_id.is_some()
        || claims.expires_at - claims.issued_at.unwrap_or(now) <= settings.max_external_token_ttl
}
