//! Password reset by email: a single-use random token, valid for a while,
//! void once the password changes by any route.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use crate::mail::{Mailer, ResetMail};
use crate::ports::{Clock, OpaqueTokens, PasswordHasher, UserRepository};
use crate::rate_limit::{Budget, RateLimiter, Verdict};
use crate::security_log::{SecurityEventKind, SecurityLog, record_best_effort};
use crate::session::{ClientInfo, TokenHash};
use crate::user::{Email, Password, PasswordHash, UserId};

/// Storage of password-reset tokens (by hash only).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait PasswordResetStore: Send + Sync {
    /// Stores a token for `user`, issued while the user's token version was
    /// `token_version`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn create(
        &self,
        hash: &TokenHash,
        user: UserId,
        token_version: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;

    /// The user of the token hashed `hash` and the token version it was
    /// issued under, if it is unused and unexpired at `now`. Changes
    /// nothing.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn find(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<(UserId, i64)>>;

    /// Uses up the token hashed `hash`, sets its user's password to
    /// `password_hash` as [`UserRepository::change_password`] does, and
    /// marks the user's email verified (the link sent to it was followed),
    /// in one atomic step, if the token is unused and unexpired at `now` and was
    /// issued under the user's current token version. Of two concurrent
    /// uses only one succeeds; a failure part-way changes nothing. False,
    /// changing nothing, when the token does not qualify.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn redeem(
        &self,
        hash: &TokenHash,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

/// The ports [`PasswordResetService`] works through.
#[derive(Clone)]
pub struct ResetPorts {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Reset tokens.
    pub resets: Arc<dyn PasswordResetStore>,
    /// Outgoing mail.
    pub mailer: Arc<dyn Mailer>,
    /// Token generation and hashing.
    pub opaque: Arc<dyn OpaqueTokens>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Where requested and completed resets are recorded.
    pub security: Arc<dyn SecurityLog>,
    /// The per-account budget of reset emails.
    pub limiter: RateLimiter,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ResetPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetPorts").finish_non_exhaustive()
    }
}

/// The password-reset rules.
#[derive(Debug)]
pub struct PasswordResetService {
    ports: ResetPorts,
    settings: ResetSettings,
}

/// Tunables of [`PasswordResetService`].
#[derive(Debug, Clone, Copy)]
pub struct ResetSettings {
    /// How long a reset token lives (one hour in the contract).
    pub token_ttl: Duration,
    /// How many reset emails one account may be sent, counted across
    /// replicas; requests beyond it are answered the same and send nothing.
    pub mails_per_account: Budget,
}

impl PasswordResetService {
    /// Wires the service to its ports.
    pub fn new(ports: ResetPorts, settings: ResetSettings) -> Self {
        Self { ports, settings }
    }

    /// Sends a reset link to `email` if an active account has it and its
    /// budget of reset emails allows. The answer is the same either way, so
    /// nobody learns which emails exist; the mail goes out in the
    /// background. A link sent is logged to its account with `client`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn forgot_password(&self, email: &Email, client: &ClientInfo) -> Result<()> {
        let Some(credentials) = self.ports.users.find_credentials(email).await? else {
            return Ok(());
        };
        if !credentials.user.is_active {
            return Ok(());
        }
        let key = format!("reset-mail:{}", credentials.user.id);
        let verdict = self
            .ports
            .limiter
            .hit(&key, self.settings.mails_per_account)
            .await?;
        if verdict != Verdict::Allowed {
            return Ok(());
        }
        let (token, hash) = self.ports.opaque.generate()?;
        let now = self.ports.clock.now();
        let user = credentials.user;
        self.ports
            .resets
            .create(
                &hash,
                user.id,
                credentials.token_version,
                now,
                now + self.settings.token_ttl,
            )
            .await?;
        let requested = SecurityEventKind::PasswordResetRequested;
        self.log_event(user.id, requested, client).await;
        let mail = ResetMail {
            to: user.email,
            name: user.name,
            token,
            valid_for: self.settings.token_ttl,
        };
        self.ports.mailer.send_reset(mail).await
    }

    /// Sets a new password with a reset token: the token is used up, every
    /// earlier access and refresh token stops working, and any lock-out is
    /// lifted. The reset is logged to its account with `client`.
    ///
    /// # Errors
    /// [`Error::InvalidResetToken`] for a token that is unknown, expired,
    /// used, or issued before the password last changed.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &Password,
        client: &ClientInfo,
    ) -> Result<()> {
        let hash = self.ports.opaque.hash(token);
        let (user_id, version) = self
            .ports
            .resets
            .find(&hash, self.ports.clock.now())
            .await?
            .ok_or(Error::InvalidResetToken)?;
        let credentials = self.ports.users.find_credentials_by_id(user_id).await?;
        if credentials.is_none_or(|c| c.token_version != version) {
            return Err(Error::InvalidResetToken);
        }
        let new_hash = self.ports.hasher.hash(new_password.expose()).await?;
        let redeemed = self
            .ports
            .resets
            .redeem(&hash, new_hash, self.ports.clock.now())
            .await?;
        if !redeemed {
            return Err(Error::InvalidResetToken);
        }
        self.log_event(user_id, SecurityEventKind::PasswordReset, client)
            .await;
        Ok(())
    }

    /// Records `kind` for `user`, best effort (see [`record_best_effort`]).
    async fn log_event(&self, user: UserId, kind: SecurityEventKind, client: &ClientInfo) {
        let now = self.ports.clock.now();
        let log = self.ports.security.as_ref();
        record_best_effort(log, user, kind, None, client, now).await;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::mail::MockMailer;
    use crate::ports::{MockClock, MockOpaqueTokens, MockPasswordHasher, MockUserRepository};
    use std::sync::Mutex;

    use crate::rate_limit::MockRateLimitStore;
    use crate::security_log::{SecurityEvent, kinds, recording_log};
    use crate::user::{Credentials, PasswordHash, User, UserName};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .expect("valid time")
    }

    fn email(address: &str) -> Email {
        Email::parse(address).expect("valid")
    }

    fn credentials(active: bool, version: i64) -> Credentials {
        Credentials {
            user: User {
                id: UserId::new_random(),
                email: Email::parse("ada@example.com").expect("valid"),
                name: UserName::parse("Ada").expect("valid"),
                is_active: active,
                email_verified: false,
                created_at: at(),
                updated_at: at(),
            },
            password_hash: PasswordHash::new("h".into()),
            locked_until: Some(at()),
            failed_logins: 5,
            token_version: version,
        }
    }

    struct Ports {
        users: MockUserRepository,
        resets: MockPasswordResetStore,
        mailer: MockMailer,
        limits: MockRateLimitStore,
        events: Arc<Mutex<Vec<SecurityEvent>>>,
    }

    impl Ports {
        fn new() -> Self {
            let mut limits = MockRateLimitStore::new();
            limits
                .expect_take()
                .returning(|_, now, interval, _| Ok((true, now + interval)));
            Self {
                users: MockUserRepository::new(),
                resets: MockPasswordResetStore::new(),
                mailer: MockMailer::new(),
                limits,
                events: Arc::default(),
            }
        }

        /// Ports where the presented token is unused, issued under token
        /// version `issued_under`, and its account is at `current`.
        fn with_reset_token(issued_under: i64, current: i64) -> Self {
            let mut ports = Self::new();
            let found = credentials(true, current);
            let id = found.user.id;
            ports
                .resets
                .expect_find()
                .returning(move |_, _| Ok(Some((id, issued_under))));
            ports
                .users
                .expect_find_credentials_by_id()
                .returning(move |_| Ok(Some(found.clone())));
            ports
        }

        fn service(self) -> PasswordResetService {
            let mut clock = MockClock::new();
            clock.expect_now().returning(at);
            let mut opaque = MockOpaqueTokens::new();
            opaque
                .expect_generate()
                .returning(|| Ok(("tok".into(), TokenHash::new("hash:tok".into()))));
            opaque
                .expect_hash()
                .returning(|t| TokenHash::new(format!("hash:{t}")));
            let mut hasher = MockPasswordHasher::new();
            hasher
                .expect_hash()
                .returning(|_| Ok(PasswordHash::new("new".into())));
            let clock: Arc<MockClock> = Arc::new(clock);
            let ports = ResetPorts {
                users: Arc::new(self.users),
                resets: Arc::new(self.resets),
                mailer: Arc::new(self.mailer),
                opaque: Arc::new(opaque),
                hasher: Arc::new(hasher),
                security: Arc::new(recording_log(&self.events)),
                limiter: RateLimiter::new(Arc::new(self.limits), clock.clone()),
                clock,
            };
            let settings = ResetSettings {
                token_ttl: Duration::hours(1),
                mails_per_account: Budget {
                    limit: 3,
                    window: Duration::hours(1),
                },
            };
            PasswordResetService::new(ports, settings)
        }
    }

    fn new_password() -> Password {
        Password::parse("a brand new passphrase").expect("valid")
    }

    #[tokio::test]
    async fn a_known_email_gets_a_stored_token_and_a_mail() {
        let mut ports = Ports::new();
        let found = credentials(true, 3);
        let id = found.user.id;
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(found.clone())));
        ports
            .resets
            .expect_create()
            .withf(move |hash, user, version, now, expires| {
                hash.as_str() == "hash:tok"
                    && *user == id
                    && *version == 3
                    && *now == at()
                    && *expires == at() + Duration::hours(1)
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        ports
            .mailer
            .expect_send_reset()
            .withf(|mail| mail.token == "tok")
            .times(1)
            .returning(|_| Ok(()));
        let events = ports.events.clone();

        assert!(
            ports
                .service()
                .forgot_password(&email("ADA@example.com"), &ClientInfo::default())
                .await
                .is_ok()
        );
        assert_eq!(kinds(&events), [SecurityEventKind::PasswordResetRequested]);
    }

    #[tokio::test]
    async fn an_account_past_its_budget_of_reset_mails_gets_none_and_the_same_answer() {
        let mut ports = Ports::new();
        let found = credentials(true, 3);
        let key = format!("reset-mail:{}", found.user.id);
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(found.clone())));
        ports.limits = MockRateLimitStore::new();
        ports
            .limits
            .expect_take()
            .withf(move |hit, now, interval, window| {
                *hit == key
                    && *now == at().timestamp_millis()
                    && *interval == 1_200_000
                    && *window == 3_600_000
            })
            .times(1)
            .returning(|_, now, _, _| Ok((false, now + 3_600_000)));
        ports.resets.expect_create().never();
        ports.mailer.expect_send_reset().never();
        let events = ports.events.clone();

        assert!(
            ports
                .service()
                .forgot_password(&email("ada@example.com"), &ClientInfo::default())
                .await
                .is_ok()
        );
        assert_eq!(kinds(&events), [], "no link, nothing logged");
    }

    #[tokio::test]
    async fn an_unknown_email_sends_nothing_and_succeeds() {
        let mut ports = Ports::new();
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(None));
        ports.mailer.expect_send_reset().never();
        ports.resets.expect_create().never();

        assert!(
            ports
                .service()
                .forgot_password(&email("nobody@example.com"), &ClientInfo::default())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_inactive_account_gets_no_mail() {
        let mut ports = Ports::new();
        ports
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials(false, 0))));
        ports.mailer.expect_send_reset().never();

        assert!(
            ports
                .service()
                .forgot_password(&email("ada@example.com"), &ClientInfo::default())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_reset_redeems_the_token_with_the_new_password_hash() {
        let mut ports = Ports::with_reset_token(3, 3);
        ports
            .resets
            .expect_redeem()
            .withf(|hash, password, now| {
                hash.as_str() == "hash:tok" && password.as_str() == "new" && *now == at()
            })
            .times(1)
            .returning(|_, _, _| Ok(true));
        let events = ports.events.clone();
        let client = ClientInfo {
            ip: Some("192.0.2.7".into()),
            ..ClientInfo::default()
        };

        assert!(
            ports
                .service()
                .reset_password("tok", &new_password(), &client)
                .await
                .is_ok()
        );
        assert_eq!(kinds(&events), [SecurityEventKind::PasswordReset]);
        let logged = events.lock().expect("events")[0].client.clone();
        assert_eq!(logged, client);
    }

    #[tokio::test]
    async fn an_unknown_used_or_expired_token_is_invalid_before_any_hashing() {
        let mut ports = Ports::new();
        ports.resets.expect_find().returning(|_, _| Ok(None));
        ports.resets.expect_redeem().never();

        let result = ports
            .service()
            .reset_password("tok", &new_password(), &ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidResetToken)));
    }

    #[tokio::test]
    async fn a_token_from_before_a_password_change_is_invalid() {
        let mut ports = Ports::with_reset_token(3, 4);
        ports.resets.expect_redeem().never();

        let result = ports
            .service()
            .reset_password("tok", &new_password(), &ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidResetToken)));
    }

    #[tokio::test]
    async fn a_token_that_another_use_redeemed_first_is_invalid() {
        let mut ports = Ports::with_reset_token(3, 3);
        ports
            .resets
            .expect_redeem()
            .times(1)
            .returning(|_, _, _| Ok(false));
        let events = ports.events.clone();

        let result = ports
            .service()
            .reset_password("tok", &new_password(), &ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidResetToken)));
        assert_eq!(kinds(&events), []);
    }

    #[test]
    fn debug_output_names_the_ports_and_shows_none_of_them() {
        let shown = format!("{:?}", Ports::new().service());

        assert!(shown.contains("ports: ResetPorts { .. }"), "{shown}");
    }
}
