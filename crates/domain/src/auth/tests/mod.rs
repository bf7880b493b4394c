//! Unit tests of [`AuthService`](super::AuthService), on mocks of its
//! ports, by topic; the fixtures they share live here.

mod access_tokens;
mod account;
mod lockout;
mod second_factor;
mod sign_in;
mod tokens;
mod verification;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{AuthPorts, AuthService, AuthSettings, Principal, SignIn, Tokens};
use crate::access_token::MockAccessTokenStore;
use crate::error::Result;
use crate::mail::MockMailer;
use crate::ports::{
    LockoutPolicy, MockClock, MockOpaqueTokens, MockPasswordHasher, MockSessionRepository,
    MockTokenCodec, MockUserRepository, PasswordCheck,
};
use crate::rate_limit::{MockRateLimitStore, RateLimiter};
use crate::second_factor::{MockOneTimeCodes, MockSecondFactorStore};
use crate::security_log::{MockSecurityLog, SecurityEvent, recording_log};
use crate::session::{ClientInfo, SessionId, TokenHash};
use crate::user::{Credentials, Email, PasswordHash, User, UserId, UserName};
use crate::verification::MockEmailVerificationStore;

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
        email_verified: false,
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
        client: ClientInfo::default(),
    }
}

/// The tokens of a sign-in that needed no second factor.
fn signed_in(answer: Result<SignIn>) -> Tokens {
    match answer {
        Ok(SignIn::Complete(tokens)) => tokens,
        other => panic!("expected tokens, got {other:?}"),
    }
}

/// Mocks of the ports a test sets expectations on; the clock and the
/// refresh-token generator are fixed.
struct Ports {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenCodec,
    mailer: MockMailer,
    limits: MockRateLimitStore,
    factors: MockSecondFactorStore,
    codes: MockOneTimeCodes,
    verifications: MockEmailVerificationStore,
    access_tokens: MockAccessTokenStore,
    /// The security log, keeping what it is given in `events`.
    security: MockSecurityLog,
    /// What the service logged.
    events: Arc<Mutex<Vec<SecurityEvent>>>,
    /// `AuthSettings::require_verified_email`.
    require_verified_email: bool,
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
        let events = Arc::default();
        Self {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            hasher,
            tokens,
            mailer: MockMailer::new(),
            limits: MockRateLimitStore::new(),
            factors: MockSecondFactorStore::new(),
            codes: MockOneTimeCodes::new(),
            verifications: MockEmailVerificationStore::new(),
            access_tokens: MockAccessTokenStore::new(),
            security: recording_log(&events),
            events,
            require_verified_email: false,
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

    /// Accounts without a second factor.
    fn without_second_factor(mut self) -> Self {
        self.factors.expect_totp().returning(|_| Ok(None));
        self
    }

    fn service(self) -> AuthService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        let clock: Arc<MockClock> = Arc::new(clock);
        let mut opaque = MockOpaqueTokens::new();
        opaque
            .expect_generate()
            .returning(|| Ok(("fresh".into(), TokenHash::new("hash:fresh".into()))));
        opaque
            .expect_hash()
            .returning(|t| TokenHash::new(format!("hash:{t}")));
        let mut token_secrets = MockOpaqueTokens::new();
        token_secrets
            .expect_generate()
            .returning(|| Ok(("random".into(), TokenHash::new("unused".into()))));
        token_secrets
            .expect_hash()
            .returning(|t| TokenHash::new(format!("sha256:{t}")));
        let ports = AuthPorts {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            hasher: Arc::new(self.hasher),
            tokens: Arc::new(self.tokens),
            opaque: Arc::new(opaque),
            access_tokens: Arc::new(self.access_tokens),
            token_secrets: Arc::new(token_secrets),
            factors: Arc::new(self.factors),
            codes: Arc::new(self.codes),
            mailer: Arc::new(self.mailer),
            security: Arc::new(self.security),
            verifications: Arc::new(self.verifications),
            limiter: RateLimiter::new(Arc::new(self.limits), clock.clone()),
            clock,
        };
        let settings = AuthSettings {
            access_token_ttl: Duration::hours(24),
            refresh_token_ttl: Duration::days(30),
            session_max_lifetime: Duration::days(90),
            lockout: LockoutPolicy {
                max_failures: 5,
                lockout: Duration::minutes(15),
            },
            max_external_token_ttl: Duration::days(1),
            require_verified_email: self.require_verified_email,
            verification_ttl: Duration::hours(24),
        };
        AuthService::new(ports, settings)
    }
}

#[test]
fn debug_output_names_the_ports_and_shows_none_of_them() {
    let shown = format!("{:?}", Ports::new().service());

    assert!(shown.contains("ports: AuthPorts { .. }"), "{shown}");
}
