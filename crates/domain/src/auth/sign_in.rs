//! Registration and sign-in: the first session of an account, and the
//! tokens every new session starts with.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::events::Origin;
use super::{AuthService, SignIn, Tokens};
use crate::error::{Error, Result};
use crate::ports::AccessClaims;
use crate::security_log::SecurityEventKind;
use crate::session::{ClientInfo, NewSession, SessionId};
use crate::user::{Email, NewUser, Registration, User, UserId};

impl AuthService {
    /// Creates an account, starts its first session and mails a link that
    /// verifies its email (best effort: an account whose link did not go
    /// out can ask for it again).
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
            email_verified: false,
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
        let tokens = self
            .start_session(user, 0, client, SecurityEventKind::Registered)
            .await?;
        let user = &tokens.user;
        let _ = self.send_verification(user, 0, &user.email, false).await;
        Ok(tokens)
    }

    /// Signs a user in by email and password and starts a session, or,
    /// when the account has a second factor, answers a challenge for
    /// [`finish_login`](Self::finish_login) (the failure count then stays
    /// until the second factor is right too).
    ///
    /// An unknown or malformed email costs one hash verification too, so the
    /// answer's timing does not tell which emails are registered. Failures in
    /// a row are counted in storage and lock the account for a while; the
    /// owner is told by email, and a locked account answers as a wrong
    /// password does, with the same work, so a lock tells nobody else that
    /// the account exists (ASVS 5.0 V6.3.8).
    ///
    /// # Errors
    /// [`Error::InvalidCredentials`] for an unknown email, a wrong password,
    /// or any password while the account is locked;
    /// [`Error::AccountDisabled`] for the right password of an inactive
    /// account; [`Error::EmailNotVerified`] for the right password of an
    /// account whose email is not verified, when sign-in requires it.
    pub async fn login(&self, email: &str, password: &str, client: ClientInfo) -> Result<SignIn> {
        let credentials = match Email::parse(email) {
            Ok(email) => self.ports.users.find_credentials(&email).await?,
            Err(_) => None,
        };
        let now = self.ports.clock.now();
        let origin = Origin::anonymous(&client);
        let failed = SecurityEventKind::LoginFailed;
        let credentials = match credentials {
            Some(found) if !found.is_locked_at(now) => found,
            Some(locked) => {
                // The work and the answer of a wrong password.
                self.ports
                    .hasher
                    .verify(password, &locked.password_hash)
                    .await?;
                self.log_event(locked.user.id, failed, origin).await;
                return Err(Error::InvalidCredentials);
            }
            None => {
                let hash = self.ports.hasher.dummy_hash();
                self.ports.hasher.verify(password, &hash).await?;
                return Err(Error::InvalidCredentials);
            }
        };
        let checked = self.check_password(&credentials, password, origin).await;
        if matches!(checked, Err(Error::WrongPassword)) {
            self.log_event(credentials.user.id, failed, origin).await;
            return Err(Error::InvalidCredentials);
        }
        let needs_rehash = checked?;
        let user = credentials.user;
        if !user.is_active {
            return Err(Error::AccountDisabled);
        }
        if self.settings.require_verified_email && !user.email_verified {
            return Err(Error::EmailNotVerified);
        }
        if needs_rehash {
            self.upgrade_hash(&user, password).await;
        }
        if self.second_factor_on(user.id).await? {
            return self.challenge(&user, credentials.token_version).await;
        }
        // The lock as it is now: failures made while the password was
        // being checked may have set one since the account was read.
        if !self.ports.users.clear_failed_logins(user.id, now).await? {
            self.log_event(user.id, failed, origin).await;
            return Err(Error::InvalidCredentials);
        }
        let succeeded = SecurityEventKind::LoginSucceeded;
        self.start_session(user, credentials.token_version, client, succeeded)
            .await
            .map(SignIn::Complete)
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

    /// Starts a session of `user` and records `event` in it.
    pub(super) async fn start_session(
        &self,
        user: User,
        token_version: i64,
        client: ClientInfo,
        event: SecurityEventKind,
    ) -> Result<Tokens> {
        let now = self.ports.clock.now();
        let (refresh_token, refresh_hash) = self.ports.opaque.generate()?;
        let lifetime = self.settings.session_lifetime();
        let session = NewSession {
            id: SessionId::new_random(),
            user_id: user.id,
            created_at: now,
            expires_at: lifetime.token_expires_at(now, now),
            refresh_hash,
            client: client.clone(),
        };
        let session_id = session.id;
        self.ports.sessions.start(session).await?;
        let origin = Origin {
            session_id: Some(session_id),
            client: &client,
        };
        self.log_event(user.id, event, origin).await;
        let session_ends_at = lifetime.ends_at(now);
        let (access_token, expires_in) =
            self.access_token(&user, session_id, token_version, session_ends_at)?;
        Ok(Tokens {
            access_token,
            expires_in,
            refresh_token,
            session_ends_at,
            session_id,
            user,
        })
    }

    /// A signed access token of `session`, and its seconds to live: the
    /// access-token lifetime, but never past the session's end.
    pub(super) fn access_token(
        &self,
        user: &User,
        session_id: SessionId,
        token_version: i64,
        session_ends_at: DateTime<Utc>,
    ) -> Result<(String, i64)> {
        let issued_at = self.ports.clock.now();
        let expires_at = (issued_at + self.settings.access_token_ttl).min(session_ends_at);
        let claims = AccessClaims {
            user_id: user.id,
            issued_at: Some(issued_at),
            expires_at,
            not_before: None,
            token_id: Uuid::new_v4(),
            session_id: Some(session_id),
            token_version,
        };
        Ok((
            self.ports.tokens.encode(&claims)?,
            (expires_at - issued_at).num_seconds(),
        ))
    }
}
