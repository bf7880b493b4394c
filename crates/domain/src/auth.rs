//! Accounts and access: registration, sign-in with lock-out, sessions
//! with rotating refresh tokens, token checks, and account management.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::bearer::Bearer;
use crate::error::{Error, Result, TokenRejection};
use crate::ports::{
    AccessClaims, Clock, LockoutPolicy, OpaqueTokens, PasswordCheck, PasswordHasher,
    SessionRepository, TokenCodec, UserRepository,
};
use crate::session::{ClientInfo, NewSession, Rotation, Session, SessionId};
use crate::user::{Credentials, Email, NewUser, Password, Registration, User, UserId, UserName};

/// Tunables of [`AuthService`].
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token (and of an idle session).
    pub refresh_token_ttl: Duration,
    /// When repeated failed logins lock an account.
    pub lockout: LockoutPolicy,
}

/// Freshly issued tokens and the user they are for.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The signed access token.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The opaque refresh token (shown once, stored only as a hash).
    pub refresh_token: String,
    /// Their user.
    pub user: User,
}

/// Who a valid access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The active user.
    pub user: User,
    /// The token's session; `None` for tokens minted outside TaskPulse.
    pub session_id: Option<SessionId>,
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
    /// New email; needs `current_password`.
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

/// Whole seconds from `now` until `until`, at least one.
fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let millis = (until - now).num_milliseconds().max(0);
    u64::try_from(millis.div_euclid(1000) + i64::from(millis % 1000 != 0))
        .unwrap_or(1)
        .max(1)
}

impl AuthService {
    /// Wires the service to its ports.
    pub fn new(ports: AuthPorts, settings: AuthSettings) -> Self {
        Self { ports, settings }
    }

    /// Creates an account and starts its first session.
    ///
    /// # Errors
    /// [`Error::EmailTaken`] when the email is already registered.
    pub async fn register(&self, registration: Registration, client: ClientInfo) -> Result<Tokens> {
        let password_hash = self
            .ports
            .hasher
            .hash(registration.password.expose())
            .await?;
        let now = self.ports.clock.now();
        let user = User {
            id: UserId::new_random(),
            email: registration.email,
            name: registration.name,
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        let user = self
            .ports
            .users
            .create(NewUser {
                user,
                password_hash,
            })
            .await?;
        self.start_session(user, 0, client).await
    }

    /// Signs a user in by email and password and starts a session.
    ///
    /// An unknown or malformed email costs one hash verification too, so the
    /// answer's timing does not tell which emails are registered. Failures in
    /// a row are counted in storage and lock the account for a while.
    ///
    /// # Errors
    /// [`Error::InvalidCredentials`] for an unknown email or a wrong password;
    /// [`Error::AccountLocked`] while locked, even with the right password;
    /// [`Error::AccountDisabled`] for the right password of an inactive account.
    pub async fn login(&self, email: &str, password: &str, client: ClientInfo) -> Result<Tokens> {
        let credentials = match Email::parse(email) {
            Ok(email) => self.ports.users.find_credentials(&email).await?,
            Err(_) => None,
        };
        let Some(credentials) = credentials else {
            self.ports
                .hasher
                .verify(password, &self.ports.hasher.dummy_hash())
                .await?;
            return Err(Error::InvalidCredentials);
        };
        let needs_rehash = self
            .check_password(&credentials, password)
            .await
            .map_err(|err| match err {
                Error::WrongPassword => Error::InvalidCredentials,
                other => other,
            })?;
        let user = credentials.user;
        if !user.is_active {
            return Err(Error::AccountDisabled);
        }
        if credentials.failed_logins > 0 || credentials.locked_until.is_some() {
            self.ports.users.clear_failed_logins(user.id).await?;
        }
        if needs_rehash {
            self.upgrade_hash(&user, password).await;
        }
        self.start_session(user, credentials.token_version, client)
            .await
    }

    /// Exchanges a refresh token for new tokens in the same session; the
    /// presented one stops working. Presenting an already-rotated token
    /// again ends every session of its user (it was stolen or replayed).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for an unknown, expired, rotated or ended token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens> {
        let presented = self.ports.opaque.hash(refresh_token);
        let (next, next_hash) = self.ports.opaque.generate()?;
        let now = self.ports.clock.now();
        let expires_at = now + self.settings.refresh_token_ttl;
        match self
            .ports
            .sessions
            .rotate(&presented, &next_hash, now, expires_at)
            .await?
        {
            Rotation::Rotated {
                session_id,
                user_id,
            } => {
                let subject = self
                    .ports
                    .users
                    .find_token_subject(user_id, Some(session_id))
                    .await?;
                let Some(subject) = subject.filter(|s| s.user.is_active && s.session_live) else {
                    return Err(Error::Unauthorized(TokenRejection::UnknownUser));
                };
                let (access_token, expires_in) =
                    self.access_token(&subject.user, Some(session_id), subject.token_version)?;
                Ok(Tokens {
                    access_token,
                    expires_in,
                    refresh_token: next,
                    user: subject.user,
                })
            }
            Rotation::Reused { user_id } => {
                self.ports.sessions.end_all(user_id, None, now).await?;
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
    /// storage whether it was revoked: for callers that ask in the same
    /// statement as their work (see [`Bearer`]).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the token is invalid or expired.
    pub fn bearer(&self, token: &str) -> Result<Bearer> {
        let claims = self
            .ports
            .tokens
            .decode(token)
            .map_err(Error::Unauthorized)?;
        if claims.expires_at <= self.ports.clock.now() {
            return Err(Error::Unauthorized(TokenRejection::Expired));
        }
        Ok(Bearer {
            user_id: claims.user_id,
            session_id: claims.session_id,
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
        let bearer = self.bearer(token)?;
        let subject = self
            .ports
            .users
            .find_token_subject(bearer.user_id, bearer.session_id)
            .await?;
        bearer.admit(subject)
    }

    /// The caller's live sessions, marking the one they came through.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>> {
        let sessions = self
            .ports
            .sessions
            .list_live(principal.user.id, self.ports.clock.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: Some(session.id) == principal.session_id,
                session,
            })
            .collect())
    }

    /// Ends one of the caller's sessions, after confirming their password.
    ///
    /// # Errors
    /// [`Error::WrongPassword`]; [`Error::NotFound`] when the caller has no
    /// such live session.
    pub async fn end_session(
        &self,
        principal: &Principal,
        id: SessionId,
        password: &str,
    ) -> Result<()> {
        self.confirm_password(principal.user.id, password).await?;
        let ended = self
            .ports
            .sessions
            .end(principal.user.id, id, self.ports.clock.now())
            .await?;
        if ended { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Ends every session of the caller but the current one, after
    /// confirming their password.
    ///
    /// # Errors
    /// [`Error::WrongPassword`].
    pub async fn end_other_sessions(&self, principal: &Principal, password: &str) -> Result<()> {
        self.confirm_password(principal.user.id, password).await?;
        self.ports
            .sessions
            .end_all(
                principal.user.id,
                principal.session_id,
                self.ports.clock.now(),
            )
            .await
    }

    /// Changes the caller's name and/or email. An email change needs the
    /// current password.
    ///
    /// # Errors
    /// [`Error::ConfirmationRequired`] when the email changes without a
    /// password; [`Error::WrongPassword`]; [`Error::EmailTaken`].
    pub async fn update_profile(
        &self,
        principal: &Principal,
        changes: ProfileChanges,
    ) -> Result<User> {
        if changes.email.is_some() {
            let password = changes
                .current_password
                .as_deref()
                .ok_or(Error::ConfirmationRequired)?;
            self.confirm_password(principal.user.id, password).await?;
        }
        if changes.name.is_none() && changes.email.is_none() {
            return Ok(principal.user.clone());
        }
        let now = self.ports.clock.now();
        self.ports
            .users
            .update_profile(principal.user.id, changes.name, changes.email, now)
            .await
    }

    /// Sets a new password. Every access and refresh token issued before
    /// stops working, and every session ends.
    ///
    /// # Errors
    /// [`Error::WrongPassword`] when `current` is wrong.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &Password,
    ) -> Result<()> {
        self.confirm_password(principal.user.id, current).await?;
        let hash = self.ports.hasher.hash(new.expose()).await?;
        let now = self.ports.clock.now();
        self.ports
            .users
            .change_password(principal.user.id, hash, now)
            .await?;
        self.ports
            .sessions
            .end_all(principal.user.id, None, now)
            .await
    }

    /// Deletes the caller's account and everything it owns.
    ///
    /// # Errors
    /// [`Error::WrongPassword`].
    pub async fn delete_account(&self, principal: &Principal, password: &str) -> Result<()> {
        self.confirm_password(principal.user.id, password).await?;
        self.ports.users.delete(principal.user.id).await
    }

    /// Checks a signed-in user's password, counting failures like logins.
    async fn confirm_password(&self, id: UserId, password: &str) -> Result<Credentials> {
        let credentials = self.ports.users.find_credentials_by_id(id).await?;
        let credentials = credentials.ok_or(Error::Unauthorized(TokenRejection::UnknownUser))?;
        self.check_password(&credentials, password).await?;
        Ok(credentials)
    }

    /// Refuses a locked account, verifies the password and counts a
    /// failure; on success tells whether the hash wants an upgrade.
    async fn check_password(&self, credentials: &Credentials, password: &str) -> Result<bool> {
        let now = self.ports.clock.now();
        if let Some(until) = credentials.locked_until.filter(|until| *until > now) {
            return Err(Error::AccountLocked {
                retry_after_secs: seconds_until(until, now),
            });
        }
        match self
            .ports
            .hasher
            .verify(password, &credentials.password_hash)
            .await?
        {
            PasswordCheck::Match { needs_rehash } => Ok(needs_rehash),
            PasswordCheck::Mismatch => {
                self.ports
                    .users
                    .record_failed_login(credentials.user.id, now, self.settings.lockout)
                    .await?;
                Err(Error::WrongPassword)
            }
        }
    }

    /// Replaces a hash of an older scheme after a successful sign-in. Best
    /// effort: a failure only postpones the upgrade to the next sign-in.
    async fn upgrade_hash(&self, user: &User, password: &str) {
        if let Ok(hash) = self.ports.hasher.hash(password).await {
            let _ = self
                .ports
                .users
                .set_password_hash(user.id, hash, self.ports.clock.now())
                .await;
        }
    }

    async fn start_session(
        &self,
        user: User,
        token_version: i64,
        client: ClientInfo,
    ) -> Result<Tokens> {
        let now = self.ports.clock.now();
        let (refresh_token, refresh_hash) = self.ports.opaque.generate()?;
        let session = NewSession {
            id: SessionId::new_random(),
            user_id: user.id,
            created_at: now,
            expires_at: now + self.settings.refresh_token_ttl,
            refresh_hash,
            client,
        };
        let session_id = session.id;
        self.ports.sessions.start(session).await?;
        let (access_token, expires_in) =
            self.access_token(&user, Some(session_id), token_version)?;
        Ok(Tokens {
            access_token,
            expires_in,
            refresh_token,
            user,
        })
    }

    fn access_token(
        &self,
        user: &User,
        session_id: Option<SessionId>,
        token_version: i64,
    ) -> Result<(String, i64)> {
        let issued_at = self.ports.clock.now();
        let claims = AccessClaims {
            user_id: user.id,
            issued_at,
            expires_at: issued_at + self.settings.access_token_ttl,
            token_id: Uuid::new_v4(),
            session_id,
            token_version,
        };
        Ok((
            self.ports.tokens.encode(&claims)?,
            self.settings.access_token_ttl.num_seconds(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mockall::predicate::{always, eq};

    use super::*;
    use crate::ports::{
        MockClock, MockOpaqueTokens, MockPasswordHasher, MockSessionRepository, MockTokenCodec,
        MockUserRepository, TokenSubject,
    };
    use crate::session::TokenHash;
    use crate::user::PasswordHash;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .expect("valid time")
    }

    fn user(active: bool) -> User {
        User {
            id: UserId::new_random(),
            email: Email::parse("ada@example.com").expect("valid"),
            name: UserName::parse("Ada").expect("valid"),
            is_active: active,
            created_at: at(),
            updated_at: at(),
        }
    }

    fn credentials(active: bool) -> Credentials {
        Credentials {
            user: user(active),
            password_hash: PasswordHash::new("stored".into()),
            locked_until: None,
            failed_logins: 0,
            token_version: 3,
        }
    }

    fn principal() -> Principal {
        Principal {
            user: user(true),
            session_id: Some(SessionId::new_random()),
        }
    }

    struct Ports {
        users: MockUserRepository,
        sessions: MockSessionRepository,
        hasher: MockPasswordHasher,
        tokens: MockTokenCodec,
    }

    impl Ports {
        fn new() -> Self {
            let mut hasher = MockPasswordHasher::new();
            hasher
                .expect_dummy_hash()
                .returning(|| PasswordHash::new("dummy".into()));
            let mut tokens = MockTokenCodec::new();
            tokens.expect_encode().returning(|c| {
                Ok(format!(
                    "access:{}:{:?}:{}",
                    c.user_id,
                    c.session_id.map(|s| s.to_string()),
                    c.token_version
                ))
            });
            Self {
                users: MockUserRepository::new(),
                sessions: MockSessionRepository::new(),
                hasher,
                tokens,
            }
        }

        fn password_is(mut self, right: &'static str) -> Self {
            self.hasher.expect_verify().returning(move |given, _| {
                Ok(if given == right {
                    PasswordCheck::Match {
                        needs_rehash: false,
                    }
                } else {
                    PasswordCheck::Mismatch
                })
            });
            self
        }

        fn service(self) -> AuthService {
            let mut clock = MockClock::new();
            clock.expect_now().returning(at);
            let mut opaque = MockOpaqueTokens::new();
            opaque
                .expect_generate()
                .returning(|| Ok(("fresh".into(), TokenHash::new("hash:fresh".into()))));
            opaque
                .expect_hash()
                .returning(|t| TokenHash::new(format!("hash:{t}")));
            let ports = AuthPorts {
                users: Arc::new(self.users),
                sessions: Arc::new(self.sessions),
                hasher: Arc::new(self.hasher),
                tokens: Arc::new(self.tokens),
                opaque: Arc::new(opaque),
                clock: Arc::new(clock),
            };
            let settings = AuthSettings {
                access_token_ttl: Duration::hours(24),
                refresh_token_ttl: Duration::days(30),
                lockout: LockoutPolicy {
                    max_failures: 5,
                    lockout: Duration::minutes(15),
                },
            };
            AuthService::new(ports, settings)
        }
    }

    #[tokio::test]
    async fn registration_stores_the_hash_and_starts_a_session() {
        let mut ports = Ports::new();
        ports
            .hasher
            .expect_hash()
            .with(eq("Tr0ub4dor&3x"))
            .returning(|_| Ok(PasswordHash::new("h".into())));
        ports.users.expect_create().times(1).returning(|new| {
            assert_eq!(new.password_hash.as_str(), "h");
            Ok(new.user)
        });
        ports.sessions.expect_start().times(1).returning(|session| {
            assert_eq!(session.refresh_hash.as_str(), "hash:fresh");
            assert_eq!(session.expires_at, at() + Duration::days(30));
            Ok(())
        });
        let registration = Registration {
            name: UserName::parse("Ada").expect("valid"),
            email: Email::parse("ada@example.com").expect("valid"),
            password: Password::parse("Tr0ub4dor&3x").expect("valid"),
        };

        let tokens = ports
            .service()
            .register(registration, ClientInfo::default())
            .await
            .expect("registered");

        assert_eq!(tokens.expires_in, 86_400);
        assert_eq!(tokens.refresh_token, "fresh");
        assert!(
            tokens
                .access_token
                .starts_with(&format!("access:{}:Some(", tokens.user.id))
        );
    }

    #[tokio::test]
    async fn an_unknown_email_still_costs_one_verification() {
        let mut ports = Ports::new();
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(None));
        ports.hasher.expect_verify().times(1).returning(|_, h| {
            assert_eq!(h.as_str(), "dummy");
            Ok(PasswordCheck::Mismatch)
        });

        let result = ports
            .service()
            .login("nobody@example.com", "whatever1", ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_malformed_email_is_invalid_credentials_after_one_verification() {
        let mut ports = Ports::new();
        ports.users.expect_find_credentials().never();
        ports
            .hasher
            .expect_verify()
            .times(1)
            .returning(|_, _| Ok(PasswordCheck::Mismatch));

        let result = ports
            .service()
            .login("not-an-email", "whatever1", ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_wrong_password_is_invalid_credentials_and_counted() {
        let mut ports = Ports::new().password_is("right");
        let found = credentials(true);
        let id = found.user.id;
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(found.clone())));
        ports
            .users
            .expect_record_failed_login()
            .with(eq(id), eq(at()), always())
            .times(1)
            .returning(|_, _, _| Ok(()));
        ports.sessions.expect_start().never();

        let result = ports
            .service()
            .login("ada@example.com", "wrong", ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_locked_account_is_refused_even_with_the_right_password() {
        let mut ports = Ports::new();
        let mut locked = credentials(true);
        locked.locked_until = Some(at() + Duration::seconds(90));
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(locked.clone())));
        ports.hasher.expect_verify().never();

        let result = ports
            .service()
            .login("ada@example.com", "right", ClientInfo::default())
            .await;

        assert!(matches!(
            result,
            Err(Error::AccountLocked {
                retry_after_secs: 90
            })
        ));
    }

    #[tokio::test]
    async fn an_expired_lock_lets_the_right_password_in_and_clears_the_count() {
        let mut ports = Ports::new().password_is("right");
        let mut was_locked = credentials(true);
        was_locked.locked_until = Some(at() - Duration::seconds(1));
        was_locked.failed_logins = 5;
        let id = was_locked.user.id;
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(was_locked.clone())));
        ports
            .users
            .expect_clear_failed_logins()
            .with(eq(id))
            .times(1)
            .returning(|_| Ok(()));
        ports.sessions.expect_start().returning(|_| Ok(()));

        assert!(
            ports
                .service()
                .login("ada@example.com", "right", ClientInfo::default())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_successful_login_carries_the_token_version() {
        let mut ports = Ports::new().password_is("right");
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials(true))));
        ports.users.expect_clear_failed_logins().never();
        ports.sessions.expect_start().times(1).returning(|_| Ok(()));

        let tokens = ports
            .service()
            .login("ADA@example.com ", "right", ClientInfo::default())
            .await;

        assert!(tokens.expect("signed in").access_token.ends_with(":3"));
    }

    #[tokio::test]
    async fn an_inactive_account_with_the_right_password_is_disabled() {
        let mut ports = Ports::new().password_is("right");
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials(false))));
        ports.sessions.expect_start().never();

        let result = ports
            .service()
            .login("ada@example.com", "right", ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::AccountDisabled)));
    }

    #[tokio::test]
    async fn an_old_scheme_hash_is_upgraded_at_sign_in() {
        let mut ports = Ports::new();
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials(true))));
        ports
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: true }));
        ports
            .hasher
            .expect_hash()
            .with(eq("right"))
            .returning(|_| Ok(PasswordHash::new("new".into())));
        ports
            .users
            .expect_set_password_hash()
            .times(1)
            .returning(|_, h, _| {
                assert_eq!(h.as_str(), "new");
                Ok(())
            });
        ports.sessions.expect_start().returning(|_| Ok(()));

        assert!(
            ports
                .service()
                .login("ada@example.com", "right", ClientInfo::default())
                .await
                .is_ok()
        );
    }

    fn subject(user: User, live: bool, version: i64) -> TokenSubject {
        TokenSubject {
            user,
            token_version: version,
            session_live: live,
        }
    }

    #[tokio::test]
    async fn a_refresh_rotates_within_the_session() {
        let mut ports = Ports::new();
        let (session_id, account) = (SessionId::new_random(), user(true));
        let user_id = account.id;
        ports
            .sessions
            .expect_rotate()
            .withf(|presented, next, _, expires| {
                presented.as_str() == "hash:old"
                    && next.as_str() == "hash:fresh"
                    && *expires == at() + Duration::days(30)
            })
            .returning(move |_, _, _, _| {
                Ok(Rotation::Rotated {
                    session_id,
                    user_id,
                })
            });
        ports
            .users
            .expect_find_token_subject()
            .with(eq(user_id), eq(Some(session_id)))
            .returning(move |_, _| Ok(Some(subject(account.clone(), true, 2))));

        let tokens = ports.service().refresh("old").await.expect("rotated");

        assert_eq!(tokens.refresh_token, "fresh");
        assert_eq!(
            tokens.access_token,
            format!("access:{user_id}:Some(\"{session_id}\"):2")
        );
    }

    #[tokio::test]
    async fn a_reused_refresh_token_ends_every_session_of_its_user() {
        let mut ports = Ports::new();
        let user_id = UserId::new_random();
        ports
            .sessions
            .expect_rotate()
            .returning(move |_, _, _, _| Ok(Rotation::Reused { user_id }));
        ports
            .sessions
            .expect_end_all()
            .with(eq(user_id), eq(None), eq(at()))
            .times(1)
            .returning(|_, _, _| Ok(()));

        let result = ports.service().refresh("stolen").await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::Revoked))
        ));
    }

    #[tokio::test]
    async fn an_unknown_refresh_token_is_unauthorized() {
        let mut ports = Ports::new();
        ports
            .sessions
            .expect_rotate()
            .returning(|_, _, _, _| Ok(Rotation::Invalid));
        ports.sessions.expect_end_all().never();

        assert!(matches!(
            ports.service().refresh("nope").await,
            Err(Error::Unauthorized(_))
        ));
    }

    #[tokio::test]
    async fn logout_ends_the_tokens_session() {
        let mut ports = Ports::new();
        ports
            .sessions
            .expect_end_by_token()
            .withf(|hash, now| hash.as_str() == "hash:mine" && *now == at())
            .times(1)
            .returning(|_, _| Ok(()));

        assert!(ports.service().logout("mine").await.is_ok());
    }

    fn claims(user_id: UserId, expires_at: DateTime<Utc>, version: i64) -> AccessClaims {
        AccessClaims {
            user_id,
            issued_at: at(),
            expires_at,
            token_id: Uuid::nil(),
            session_id: Some(SessionId::from(Uuid::nil())),
            token_version: version,
        }
    }

    async fn authenticate_with(found: Option<TokenSubject>, version: i64) -> Result<Principal> {
        let mut ports = Ports::new();
        let id = found
            .as_ref()
            .map_or_else(UserId::new_random, |s| s.user.id);
        ports
            .tokens
            .expect_decode()
            .returning(move |_| Ok(claims(id, at() + Duration::minutes(1), version)));
        ports
            .users
            .expect_find_token_subject()
            .with(eq(id), always())
            .returning(move |_, _| Ok(found.clone()));
        ports.service().authenticate("t").await
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let mut ports = Ports::new();
        ports
            .tokens
            .expect_decode()
            .returning(|_| Ok(claims(UserId::new_random(), at(), 0)));
        ports.users.expect_find_token_subject().never();

        let result = ports.service().authenticate("t").await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::Expired))
        ));
    }

    #[tokio::test]
    async fn a_token_of_a_missing_or_inactive_user_is_refused() {
        for found in [None, Some(subject(user(false), true, 0))] {
            let result = authenticate_with(found, 0).await;

            assert!(matches!(
                result,
                Err(Error::Unauthorized(TokenRejection::UnknownUser))
            ));
        }
    }

    #[tokio::test]
    async fn a_token_of_an_ended_session_is_revoked() {
        let result = authenticate_with(Some(subject(user(true), false, 0)), 0).await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::Revoked))
        ));
    }

    #[tokio::test]
    async fn a_token_from_before_a_password_change_is_revoked() {
        let result = authenticate_with(Some(subject(user(true), true, 1)), 0).await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::Revoked))
        ));
    }

    #[tokio::test]
    async fn a_valid_token_yields_its_active_user_and_session() {
        let account = user(true);
        let id = account.id;

        let principal = authenticate_with(Some(subject(account, true, 4)), 4)
            .await
            .expect("valid");

        assert_eq!(principal.user.id, id);
        assert_eq!(principal.session_id, Some(SessionId::from(Uuid::nil())));
    }

    #[tokio::test]
    async fn a_token_the_codec_refuses_is_unauthorized() {
        let mut ports = Ports::new();
        ports
            .tokens
            .expect_decode()
            .returning(|_| Err(TokenRejection::Invalid));

        let result = ports.service().authenticate("garbage").await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::Invalid))
        ));
    }

    fn with_credentials(ports: &mut Ports, principal: &Principal) {
        let mut found = credentials(true);
        found.user = principal.user.clone();
        ports
            .users
            .expect_find_credentials_by_id()
            .returning(move |_| Ok(Some(found.clone())));
    }

    #[tokio::test]
    async fn changing_the_password_needs_the_current_one() {
        let mut ports = Ports::new().password_is("right");
        let principal = principal();
        with_credentials(&mut ports, &principal);
        ports
            .users
            .expect_record_failed_login()
            .times(1)
            .returning(|_, _, _| Ok(()));
        ports.users.expect_change_password().never();
        let new = Password::parse("a brand new secret").expect("valid");

        let result = ports
            .service()
            .change_password(&principal, "wrong", &new)
            .await;

        assert!(matches!(result, Err(Error::WrongPassword)));
    }

    #[tokio::test]
    async fn a_new_password_revokes_every_token_and_session() {
        let mut ports = Ports::new().password_is("right");
        let principal = principal();
        let id = principal.user.id;
        with_credentials(&mut ports, &principal);
        ports
            .hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("new".into())));
        ports
            .users
            .expect_change_password()
            .with(eq(id), always(), eq(at()))
            .times(1)
            .returning(|_, _, _| Ok(()));
        ports
            .sessions
            .expect_end_all()
            .with(eq(id), eq(None), eq(at()))
            .times(1)
            .returning(|_, _, _| Ok(()));
        let new = Password::parse("a brand new secret").expect("valid");

        assert!(
            ports
                .service()
                .change_password(&principal, "right", &new)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_email_change_needs_the_current_password() {
        let mut ports = Ports::new();
        ports.users.expect_update_profile().never();
        let changes = ProfileChanges {
            email: Some(Email::parse("new@example.com").expect("valid")),
            ..ProfileChanges::default()
        };

        let result = ports.service().update_profile(&principal(), changes).await;

        assert!(matches!(result, Err(Error::ConfirmationRequired)));
    }

    #[tokio::test]
    async fn a_name_change_needs_no_password() {
        let mut ports = Ports::new();
        let principal = principal();
        let name = UserName::parse("Grace").expect("valid");
        let renamed = User {
            name: name.clone(),
            ..principal.user.clone()
        };
        ports
            .users
            .expect_update_profile()
            .with(
                eq(principal.user.id),
                eq(Some(name.clone())),
                eq(None),
                eq(at()),
            )
            .returning(move |_, _, _, _| Ok(renamed.clone()));

        let changes = ProfileChanges {
            name: Some(name),
            ..ProfileChanges::default()
        };
        let updated = ports
            .service()
            .update_profile(&principal, changes)
            .await
            .expect("updated");

        assert_eq!(updated.name.as_str(), "Grace");
    }

    #[tokio::test]
    async fn ending_someone_elses_or_an_unknown_session_is_not_found() {
        let mut ports = Ports::new().password_is("right");
        let principal = principal();
        with_credentials(&mut ports, &principal);
        ports
            .sessions
            .expect_end()
            .with(eq(principal.user.id), always(), always())
            .returning(|_, _, _| Ok(false));

        let result = ports
            .service()
            .end_session(&principal, SessionId::new_random(), "right")
            .await;

        assert!(matches!(result, Err(Error::NotFound)));
    }

    #[tokio::test]
    async fn ending_other_sessions_keeps_the_current_one() {
        let mut ports = Ports::new().password_is("right");
        let principal = principal();
        with_credentials(&mut ports, &principal);
        ports
            .sessions
            .expect_end_all()
            .with(eq(principal.user.id), eq(principal.session_id), always())
            .times(1)
            .returning(|_, _, _| Ok(()));

        assert!(
            ports
                .service()
                .end_other_sessions(&principal, "right")
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn deleting_the_account_needs_the_password() {
        let mut ports = Ports::new().password_is("right");
        let principal = principal();
        with_credentials(&mut ports, &principal);
        ports
            .users
            .expect_record_failed_login()
            .returning(|_, _, _| Ok(()));
        ports
            .users
            .expect_delete()
            .with(eq(principal.user.id))
            .times(1)
            .returning(|_| Ok(()));
        let service = ports.service();

        let refused = service.delete_account(&principal, "wrong").await;
        let deleted = service.delete_account(&principal, "right").await;

        assert!(matches!(refused, Err(Error::WrongPassword)));
        assert!(deleted.is_ok());
    }

    #[test]
    fn lock_waits_round_up_to_whole_seconds() {
        assert_eq!(seconds_until(at() + Duration::milliseconds(1500), at()), 2);
        assert_eq!(seconds_until(at(), at()), 1);
    }
}
