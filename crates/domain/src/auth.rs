//! Accounts and access: registration, sign-in and token checks.

use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;

use crate::error::{Error, Result, TokenRejection};
use crate::ports::{
    AccessClaims, Clock, PasswordCheck, PasswordHasher, TokenCodec, UserRepository,
};
use crate::user::{Email, NewUser, Registration, User, UserId};

/// Tunables of [`AuthService`].
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
}

/// A freshly issued access token and the user it is for.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The signed token.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// Its user.
    pub user: User,
}

/// The account rules.
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    clock: Arc<dyn Clock>,
    settings: AuthSettings,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AuthService {
    /// Wires the service to its ports.
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenCodec>,
        clock: Arc<dyn Clock>,
        settings: AuthSettings,
    ) -> Self {
        Self {
            users,
            hasher,
            tokens,
            clock,
            settings,
        }
    }

    /// Creates an account and signs it in.
    ///
    /// # Errors
    /// [`Error::EmailTaken`] when the email is already registered.
    pub async fn register(&self, registration: Registration) -> Result<IssuedToken> {
        let password_hash = self.hasher.hash(registration.password.expose()).await?;
        let now = self.clock.now();
        let user = User {
            id: UserId::new_random(),
            email: registration.email,
            name: registration.name,
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        let user = self
            .users
            .create(NewUser {
                user,
                password_hash,
            })
            .await?;
        self.issue(user)
    }

    /// Signs a user in by email and password.
    ///
    /// An unknown or malformed email costs one hash verification too, so the
    /// answer's timing does not tell which emails are registered.
    ///
    /// # Errors
    /// [`Error::InvalidCredentials`] for an unknown email or a wrong password;
    /// [`Error::AccountDisabled`] for the right password of an inactive account.
    pub async fn login(&self, email: &str, password: &str) -> Result<IssuedToken> {
        let credentials = match Email::parse(email) {
            Ok(email) => self.users.find_credentials(&email).await?,
            Err(_) => None,
        };
        let Some(credentials) = credentials else {
            self.hasher
                .verify(password, &self.hasher.dummy_hash())
                .await?;
            return Err(Error::InvalidCredentials);
        };
        let needs_rehash = match self
            .hasher
            .verify(password, &credentials.password_hash)
            .await?
        {
            PasswordCheck::Mismatch => return Err(Error::InvalidCredentials),
            PasswordCheck::Match { needs_rehash } => needs_rehash,
        };
        let user = credentials.user;
        if !user.is_active {
            return Err(Error::AccountDisabled);
        }
        if needs_rehash {
            self.upgrade_hash(&user, password).await;
        }
        self.issue(user)
    }

    /// The active user an access token belongs to.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the token is invalid or expired, or its
    /// user is gone or inactive.
    pub async fn authenticate(&self, token: &str) -> Result<User> {
        let claims = self.tokens.decode(token).map_err(Error::Unauthorized)?;
        if claims.expires_at <= self.clock.now() {
            return Err(Error::Unauthorized(TokenRejection::Expired));
        }
        match self.users.find_by_id(claims.user_id).await? {
            Some(user) if user.is_active => Ok(user),
            _ => Err(Error::Unauthorized(TokenRejection::UnknownUser)),
        }
    }

    /// Replaces a hash of an older scheme after a successful sign-in. Best
    /// effort: a failure only postpones the upgrade to the next sign-in.
    async fn upgrade_hash(&self, user: &User, password: &str) {
        if let Ok(hash) = self.hasher.hash(password).await {
            let _ = self
                .users
                .set_password_hash(user.id, hash, self.clock.now())
                .await;
        }
    }

    fn issue(&self, user: User) -> Result<IssuedToken> {
        let issued_at = self.clock.now();
        let claims = AccessClaims {
            user_id: user.id,
            issued_at,
            expires_at: issued_at + self.settings.access_token_ttl,
            token_id: Uuid::new_v4(),
            session_id: None,
        };
        let access_token = self.tokens.encode(&claims)?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.settings.access_token_ttl.num_seconds(),
            user,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mockall::predicate::eq;

    use super::*;
    use crate::ports::{MockClock, MockPasswordHasher, MockTokenCodec, MockUserRepository};
    use crate::user::{Credentials, Password, PasswordHash, UserName};

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

    struct Ports {
        users: MockUserRepository,
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
            tokens
                .expect_encode()
                .returning(|c| Ok(format!("token-for-{}", c.user_id)));
            Self {
                users: MockUserRepository::new(),
                hasher,
                tokens,
            }
        }

        fn service(self) -> AuthService {
            let mut clock = MockClock::new();
            clock.expect_now().returning(at);
            AuthService::new(
                Arc::new(self.users),
                Arc::new(self.hasher),
                Arc::new(self.tokens),
                Arc::new(clock),
                AuthSettings {
                    access_token_ttl: Duration::hours(24),
                },
            )
        }
    }

    fn credentials(active: bool) -> Credentials {
        Credentials {
            user: user(active),
            password_hash: PasswordHash::new("stored".into()),
        }
    }

    #[tokio::test]
    async fn registration_stores_the_hash_not_the_password() {
        let mut ports = Ports::new();
        ports
            .hasher
            .expect_hash()
            .with(eq("Tr0ub4dor&3x"))
            .returning(|_| Ok(PasswordHash::new("h".into())));
        ports.users.expect_create().times(1).returning(|new| {
            assert_eq!(new.password_hash.as_str(), "h");
            assert!(new.user.is_active);
            Ok(new.user)
        });
        let registration = Registration {
            name: UserName::parse("Ada").expect("valid"),
            email: Email::parse("ada@example.com").expect("valid"),
            password: Password::parse("Tr0ub4dor&3x").expect("valid"),
        };

        let issued = ports
            .service()
            .register(registration)
            .await
            .expect("registered");

        assert_eq!(issued.expires_in, 86_400);
        assert_eq!(issued.access_token, format!("token-for-{}", issued.user.id));
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
            .login("nobody@example.com", "whatever1")
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

        let result = ports.service().login("not-an-email", "whatever1").await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_wrong_password_is_invalid_credentials() {
        let mut ports = Ports::new();
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials(true))));
        ports
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Mismatch));

        let result = ports
            .service()
            .login("ada@example.com", "wrong-password")
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn login_looks_the_email_up_lower_cased() {
        let mut ports = Ports::new();
        let email = Email::parse("ada@example.com").expect("valid");
        ports
            .users
            .expect_find_credentials()
            .with(eq(email))
            .returning(|_| Ok(Some(credentials(true))));
        ports.hasher.expect_verify().returning(|_, _| {
            Ok(PasswordCheck::Match {
                needs_rehash: false,
            })
        });

        assert!(
            ports
                .service()
                .login(" ADA@Example.com", "right-password")
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_inactive_account_with_the_right_password_is_disabled() {
        let mut ports = Ports::new();
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials(false))));
        ports.hasher.expect_verify().returning(|_, _| {
            Ok(PasswordCheck::Match {
                needs_rehash: false,
            })
        });

        let result = ports
            .service()
            .login("ada@example.com", "right-password")
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
            .with(eq("right-password"))
            .returning(|_| Ok(PasswordHash::new("new".into())));
        ports
            .users
            .expect_set_password_hash()
            .times(1)
            .returning(|_, h, _| {
                assert_eq!(h.as_str(), "new");
                Ok(())
            });

        assert!(
            ports
                .service()
                .login("ada@example.com", "right-password")
                .await
                .is_ok()
        );
    }

    fn claims(user_id: UserId, expires_at: DateTime<Utc>) -> AccessClaims {
        AccessClaims {
            user_id,
            issued_at: at(),
            expires_at,
            token_id: Uuid::nil(),
            session_id: None,
        }
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let mut ports = Ports::new();
        let id = UserId::new_random();
        ports
            .tokens
            .expect_decode()
            .returning(move |_| Ok(claims(id, at())));
        ports.users.expect_find_by_id().never();

        let result = ports.service().authenticate("t").await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::Expired))
        ));
    }

    #[tokio::test]
    async fn a_token_of_a_missing_or_inactive_user_is_refused() {
        for found in [None, Some(user(false))] {
            let mut ports = Ports::new();
            let id = UserId::new_random();
            ports
                .tokens
                .expect_decode()
                .returning(move |_| Ok(claims(id, at() + Duration::minutes(1))));
            ports
                .users
                .expect_find_by_id()
                .with(eq(id))
                .returning(move |_| Ok(found.clone()));

            let result = ports.service().authenticate("t").await;

            assert!(matches!(
                result,
                Err(Error::Unauthorized(TokenRejection::UnknownUser))
            ));
        }
    }

    #[tokio::test]
    async fn a_valid_token_yields_its_active_user() {
        let mut ports = Ports::new();
        let active = user(true);
        let id = active.id;
        ports
            .tokens
            .expect_decode()
            .returning(move |_| Ok(claims(id, at() + Duration::minutes(1))));
        ports
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(active.clone())));

        assert_eq!(
            ports.service().authenticate("t").await.expect("valid").id,
            id
        );
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
}
