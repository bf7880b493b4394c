//! Sessions: what a register or login starts, what refresh tokens rotate
//! within, and what an access token's `sid` names.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::user::UserId;

/// A session's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(Uuid);

impl SessionId {
    /// A new random identifier.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for SessionId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl std::str::FromStr for SessionId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a request came from, as recorded on the session it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The `User-Agent` header, shortened to 255 characters.
    pub user_agent: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The request's id (`X-Request-Id`), for matching it with the logs;
    /// not stored with sessions.
    pub request_id: Option<String>,
}

/// A live session as its user may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Identifier.
    pub id: SessionId,
    /// When it started (register or login).
    pub created_at: DateTime<Utc>,
    /// When its refresh token was last used (or it started).
    pub last_used_at: DateTime<Utc>,
    /// The client that started it.
    pub client: ClientInfo,
}

/// A session to store, with its first refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Identifier.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Start time.
    pub created_at: DateTime<Utc>,
    /// When the first refresh token expires.
    pub expires_at: DateTime<Utc>,
    /// Hash of the first refresh token.
    pub refresh_hash: TokenHash,
    /// The client.
    pub client: ClientInfo,
}

/// How long a session lasts: each refresh token for `idle` after it is
/// issued, and the whole session at most `absolute` after the login (or
/// registration) that started it, however often it is refreshed (ASVS 5.0
/// V7.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    /// Lifetime of one refresh token.
    pub idle: Duration,
    /// Lifetime of the session from its start.
    pub absolute: Duration,
}

impl SessionLifetime {
    /// When a session started at `started_at` ends at the latest.
    pub fn ends_at(&self, started_at: DateTime<Utc>) -> DateTime<Utc> {
        started_at + self.absolute
    }

    /// When a refresh token issued at `now` in a session started at
    /// `started_at` expires: `idle` from now, but never after the
    /// session's end.
    pub fn token_expires_at(&self, started_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.idle).min(self.ends_at(started_at))
    }
}

/// The stored form of an opaque token (never the token itself).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Wraps a hash.
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    /// The hash text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or_default())
    }
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// It was current: it is now used up and its successor stored.
    Rotated {
        /// The session it belongs to.
        session_id: SessionId,
        /// The session's user.
        user_id: UserId,
        /// When the session ends at the latest ([`SessionLifetime::ends_at`]).
        ends_at: DateTime<Utc>,
    },
    /// It had been rotated already: someone is replaying it.
    Reused {
        /// The user it was issued to.
        user_id: UserId,
    },
    /// Unknown, expired, or its session has ended (its absolute lifetime
    /// included).
    Invalid,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_session_id_reads_back_from_its_text_and_its_uuid() {
        let id = SessionId::new_random();

        assert_ne!(id, SessionId::new_random());
        assert_eq!(id.to_string(), id.as_uuid().to_string());
        assert_eq!(id.to_string().parse::<SessionId>(), Ok(id));
        assert_eq!(SessionId::from(id.as_uuid()), id);
        assert!("not a uuid".parse::<SessionId>().is_err());
    }

    #[test]
    fn a_refresh_token_lives_idle_long_but_never_past_the_sessions_end() {
        let start = Utc
            .with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .expect("valid time");
        let lifetime = SessionLifetime {
            idle: Duration::days(30),
            absolute: Duration::days(90),
        };

        assert_eq!(lifetime.ends_at(start), start + Duration::days(90));
        assert_eq!(
            lifetime.token_expires_at(start, start + Duration::days(10)),
            start + Duration::days(40)
        );
        assert_eq!(
            lifetime.token_expires_at(start, start + Duration::days(80)),
            start + Duration::days(90)
        );
    }

    #[test]
    fn a_token_hash_shows_its_text_but_debug_output_only_its_start() {
        let hash = TokenHash::new("0123456789abcdef".into());

        assert_eq!(hash.as_str(), "0123456789abcdef");
        assert_eq!(format!("{hash:?}"), "TokenHash(01234567…)");
        assert_eq!(
            format!("{:?}", TokenHash::new("short".into())),
            "TokenHash(…)"
        );
    }
}
