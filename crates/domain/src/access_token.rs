//! Personal access tokens: long-lived credentials for scripts and
//! integrations that can do less than their user (issue #24). The
//! validated values they are made of, what a route needs of a request's
//! credential ([`Access`]), and the port that keeps them
//! ([`AccessTokenStore`]).

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::error::Result;
use crate::session::TokenHash;
use crate::text::char_len;
use crate::user::UserId;

/// What every personal access token starts with, so that it is told from
/// an access token (a JWT) at a glance and by secret scanners.
pub const TOKEN_PREFIX: &str = "tp_pat_";

/// The most live (unrevoked, unexpired) tokens one user may have.
pub const MAX_LIVE_TOKENS_PER_USER: usize = 50;

/// The longest a token may live: `expires_at` at most this far ahead.
pub const MAX_LIFETIME: Duration = Duration::days(365);

/// How often a token's `last_used_at` is written at most.
pub const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// A personal access token's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccessTokenId(Uuid);

impl AccessTokenId {
    /// A new random identifier.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for AccessTokenId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl FromStr for AccessTokenId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

impl fmt::Display for AccessTokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A token's name: 1–100 characters after trimming, no control characters
/// at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

/// Why a token name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenNameError {
    /// Empty after trimming, or longer than 100 characters.
    #[error("must be 1 to 100 characters")]
    Length,
    /// Holds a control character.
    #[error("must not contain control characters")]
    Control,
}

impl TokenName {
    /// Trims and checks `raw`.
    ///
    /// # Errors
    /// [`TokenNameError`] naming the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TokenNameError> {
        let name = raw.trim();
        if name.is_empty() || char_len(name) > 100 {
            return Err(TokenNameError::Length);
        }
        if name.chars().any(char::is_control) {
            return Err(TokenNameError::Control);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One thing a personal access token may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read tasks, their trash and the change feed.
    TasksRead,
    /// Create, change, move, delete and restore tasks.
    TasksWrite,
    /// Read labels.
    LabelsRead,
    /// Create, rename and delete labels.
    LabelsWrite,
}

/// A scope name that is not one of [`Scope::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope; expected one of tasks:read, tasks:write, labels:read, labels:write")]
pub struct ScopeError;

impl Scope {
    /// Every scope, in the order they are listed.
    pub const ALL: [Scope; 4] = [
        Scope::TasksRead,
        Scope::TasksWrite,
        Scope::LabelsRead,
        Scope::LabelsWrite,
    ];

    /// The scope's name (`tasks:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TasksRead => "tasks:read",
            Self::TasksWrite => "tasks:write",
            Self::LabelsRead => "labels:read",
            Self::LabelsWrite => "labels:write",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::TasksRead => 1,
            Self::TasksWrite => 2,
            Self::LabelsRead => 4,
            Self::LabelsWrite => 8,
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or(ScopeError)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

/// Why a list of scopes was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopesError {
    /// No scope at all.
    #[error("must name at least one scope")]
    Empty,
    /// A name that is no scope.
    #[error(transparent)]
    Unknown(#[from] ScopeError),
}

impl Scopes {
    /// The set of `names` (repeats count once).
    ///
    /// # Errors
    /// [`ScopesError`] for an empty list or an unknown name.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ScopesError> {
        let mut bits = 0;
        for name in names {
            bits |= name.as_ref().parse::<Scope>()?.bit();
        }
        if bits == 0 {
            return Err(ScopesError::Empty);
        }
        Ok(Self(bits))
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes in the set, in [`Scope::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The names, space-separated, as stored (`tasks:read labels:read`).
    pub fn to_names(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Reads what [`to_names`](Self::to_names) wrote.
    ///
    /// # Errors
    /// [`ScopesError`] when `names` is not such a list.
    pub fn from_names(names: &str) -> Result<Self, ScopesError> {
        Self::parse(&names.split_whitespace().collect::<Vec<_>>())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// When a new token stops working: `None` for never, else a moment in the
/// future at most [`MAX_LIFETIME`] ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry(Option<DateTime<Utc>>);

/// Why an expiry was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    /// Not after now.
    #[error("must be in the future")]
    Past,
    /// More than a year ahead.
    #[error("must be at most one year ahead")]
    TooFar,
}

impl Expiry {
    /// Checks `at` against `now`.
    ///
    /// # Errors
    /// [`ExpiryError`] naming the broken rule.
    pub fn new(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<Self, ExpiryError> {
        match at {
            Some(at) if at <= now => Err(ExpiryError::Past),
            Some(at) if at > now + MAX_LIFETIME => Err(ExpiryError::TooFar),
            _ => Ok(Self(at)),
        }
    }

    /// The moment, if any.
    pub fn at(self) -> Option<DateTime<Utc>> {
        self.0
    }
}

/// What a user asks for when creating a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Its name.
    pub name: TokenName,
    /// What it may do.
    pub scopes: Scopes,
    /// When it stops working.
    pub expires_at: Expiry,
}

/// A token as its user may see it: never the token or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Identifier.
    pub id: AccessTokenId,
    /// Its name.
    pub name: TokenName,
    /// What it may do.
    pub scopes: Scopes,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last presented (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessToken {
    /// The token's view (its `last_used_at` is `None`).
    pub token: AccessToken,
    /// Its owner.
    pub user_id: UserId,
    /// The SHA-256 of the whole token string.
    pub hash: TokenHash,
    /// The owner's token version when it was made: a later password change
    /// or reset bumps the user's, and the token stops working with it.
    pub token_version: i64,
}

/// A token just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAccessToken {
    /// The token's view.
    pub token: AccessToken,
    /// `tp_pat_…`, to give to the integration.
    pub secret: String,
}

/// What a presented token's hash finds: facts that never change while the
/// token exists, and when it was last used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccessToken {
    /// Identifier.
    pub id: AccessTokenId,
    /// Its owner.
    pub user_id: UserId,
    /// What it may do.
    pub scopes: Scopes,
    /// The owner's token version when it was made.
    pub token_version: i64,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last presented, if ever (the one fact that changes; it
    /// may lag behind storage).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What a route asks of a request's credential, declared once per route in
/// the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential at all.
    Public,
    /// A signed-in session: account, session, token and password routes.
    /// A personal access token never reaches them.
    Account,
    /// A session, or a personal access token with this scope.
    Scoped(Scope),
}

/// Who a request's credential speaks for, and how far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// An access token from sign-in: everything its user may do.
    Session(crate::Bearer),
    /// A personal access token: only its scopes.
    Scoped {
        /// The token's user, at the token version the token was made under.
        bearer: crate::Bearer,
        /// What it may do.
        scopes: Scopes,
    },
}

impl Grant {
    /// The bearer, when the grant reaches a route that asks for `access`.
    ///
    /// # Errors
    /// [`Error::InsufficientScope`](crate::Error::InsufficientScope) for a
    /// personal access token on an [`Access::Account`] route (with no
    /// scope), or without the route's scope (with it).
    pub fn permit(self, access: Access) -> Result<crate::Bearer> {
        match (self, access) {
            (Self::Session(bearer), _) => Ok(bearer),
            (Self::Scoped { bearer, scopes }, Access::Scoped(scope)) if scopes.contains(scope) => {
                Ok(bearer)
            }
            (Self::Scoped { .. }, Access::Scoped(scope)) => {
                Err(crate::Error::InsufficientScope(Some(scope)))
            }
            (Self::Scoped { bearer, .. }, Access::Public) => Ok(bearer),
            (Self::Scoped { .. }, Access::Account) => Err(crate::Error::InsufficientScope(None)),
        }
    }
}

/// Where personal access tokens are kept, by the hash of their secret.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait AccessTokenStore: Send + Sync {
    /// Stores `token`, unless its user has `max_live` live tokens already
    /// (unrevoked, unexpired at `now`, made under the user's current token
    /// version); the count and the insert must not let two concurrent
    /// creates pass the limit together.
    ///
    /// # Errors
    /// [`Error::TooManyAccessTokens`](crate::Error::TooManyAccessTokens)
    /// at the limit; [`Error::Unauthorized`](crate::Error::Unauthorized)
    /// when the user is gone, inactive, or no longer at the token's
    /// version (the password changed since it was checked);
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    async fn create(
        &self,
        token: &NewAccessToken,
        max_live: usize,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// The live tokens of `user` at `now` (as [`create`](Self::create)
    /// counts them), newest first.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<AccessToken>>;

    /// Revokes the token `id` of `user`; answers whether a live one was
    /// found (another user's is not).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    async fn revoke(&self, user: UserId, id: AccessTokenId, now: DateTime<Utc>) -> Result<bool>;

    /// The token whose secret hashes to `hash`, expired or not, unless it
    /// was revoked or its user is no longer active at the token version it
    /// was made under (then `None`). An answer may be remembered: a later
    /// revocation or password change need not be seen here, since storage
    /// checks a bearer's token within each statement it runs for it (see
    /// [`UserRepository::find_token_subject`](crate::ports::UserRepository::find_token_subject)),
    /// and `last_used_at` may be earlier than stored.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    async fn find(&self, hash: &TokenHash) -> Result<Option<StoredAccessToken>>;

    /// Sets the token's `last_used_at` to `now` unless it was set after
    /// `since` already (so concurrent requests and replicas write it once).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    async fn touch(
        &self,
        id: AccessTokenId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_id_reads_back_from_its_text_and_its_uuid() {
        let id = AccessTokenId::new_random();

        assert_ne!(id, AccessTokenId::new_random());
        assert_eq!(id.to_string(), id.as_uuid().to_string());
        assert_eq!(id.to_string().parse::<AccessTokenId>(), Ok(id));
        assert_eq!(AccessTokenId::from(id.as_uuid()), id);
        assert!("not a uuid".parse::<AccessTokenId>().is_err());
    }

    #[test]
    fn a_scope_shows_as_its_name_and_reads_back_from_it() {
        for scope in Scope::ALL {
            assert_eq!(scope.to_string(), scope.as_str());
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
        }
        assert_eq!(Scope::LabelsWrite.to_string(), "labels:write");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(TokenName::parse("  ci  ").map(|n| n.0), Ok("ci".into()));
        assert_eq!(TokenName::parse("   "), Err(TokenNameError::Length));
        assert!(TokenName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            TokenName::parse(&"é".repeat(101)),
            Err(TokenNameError::Length)
        );
        assert_eq!(TokenName::parse("a\tb"), Err(TokenNameError::Control));
        assert_eq!(TokenName::parse("a\u{7}b"), Err(TokenNameError::Control));
    }

    #[test]
    fn scopes_come_from_a_closed_list() {
        let scopes = Scopes::parse(&["labels:read", "tasks:read", "tasks:read"]).expect("valid");
        assert_eq!(scopes.to_names(), "tasks:read labels:read");
        assert_eq!(Scopes::from_names(&scopes.to_names()), Ok(scopes));
        assert!(scopes.contains(Scope::TasksRead));
        assert!(!scopes.contains(Scope::TasksWrite));
        assert_eq!(Scopes::parse::<&str>(&[]), Err(ScopesError::Empty));
        assert_eq!(
            Scopes::parse(&["tasks:admin"]),
            Err(ScopesError::Unknown(ScopeError))
        );
        assert!(Scopes::parse(&["Tasks:Read"]).is_err());
        assert_eq!(format!("{scopes:?}"), "[TasksRead, LabelsRead]");
    }

    #[test]
    fn expiry_is_in_the_future_and_within_a_year() {
        let now = Utc::now();
        assert_eq!(Expiry::new(None, now).map(Expiry::at), Ok(None));
        assert_eq!(Expiry::new(Some(now), now), Err(ExpiryError::Past));
        assert!(Expiry::new(Some(now + MAX_LIFETIME), now).is_ok());
        assert_eq!(
            Expiry::new(Some(now + MAX_LIFETIME + Duration::seconds(1)), now),
            Err(ExpiryError::TooFar)
        );
    }

    #[test]
    fn a_scoped_grant_reaches_only_its_scopes_and_never_account_routes() {
        let bearer = crate::Bearer {
            user_id: UserId::new_random(),
            credential: Some(crate::Credential::AccessToken(AccessTokenId::new_random())),
            token_version: 0,
        };
        let scopes = Scopes::parse(&["tasks:read"]).expect("valid");
        let grant = Grant::Scoped { bearer, scopes };

        assert_eq!(
            grant.permit(Access::Scoped(Scope::TasksRead)).ok(),
            Some(bearer)
        );
        assert!(matches!(
            grant.permit(Access::Scoped(Scope::TasksWrite)),
            Err(crate::Error::InsufficientScope(Some(Scope::TasksWrite)))
        ));
        assert!(matches!(
            grant.permit(Access::Account),
            Err(crate::Error::InsufficientScope(None))
        ));
        assert_eq!(
            Grant::Session(bearer).permit(Access::Account).ok(),
            Some(bearer)
        );
    }
}
