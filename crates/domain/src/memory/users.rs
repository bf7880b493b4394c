//! Accounts in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, Tables};
use crate::bearer::Credential;
use crate::error::{Error, Result};
use crate::ports::{LockoutPolicy, TokenSubject, UserRepository};
use crate::user::{Credentials, Email, NewUser, PasswordHash, User, UserId, UserName};

/// A stored account with its password material and lock-out state.
#[derive(Debug, Clone)]
pub(super) struct UserRow {
    user: User,
    password_hash: PasswordHash,
    token_version: i64,
    failed_logins: u32,
    locked_until: Option<DateTime<Utc>>,
}

impl UserRow {
    /// The account.
    pub(super) fn user(&self) -> &User {
        &self.user
    }

    fn credentials(&self) -> Credentials {
        Credentials {
            user: self.user.clone(),
            password_hash: self.password_hash.clone(),
            locked_until: self.locked_until,
            failed_logins: self.failed_logins,
            token_version: self.token_version,
        }
    }
}

/// [`UserRepository`] in a [`MemoryStore`]. Emails are unique.
#[derive(Debug, Clone)]
pub struct MemoryUsers {
    store: MemoryStore,
}

impl MemoryUsers {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }

    /// Applies `write` to the account, or answers `NotFound`.
    fn write<T>(&self, id: UserId, write: impl FnOnce(&mut UserRow) -> T) -> Result<T> {
        let mut tables = self.store.lock();
        tables.users.get_mut(&id).map(write).ok_or(Error::NotFound)
    }
}

/// Sets user `id`'s password as [`UserRepository::change_password`] says:
/// the hash, one token version more, no lock-out, every session ended.
/// False when there is no such user.
pub(super) fn set_password(
    tables: &mut Tables,
    id: UserId,
    hash: PasswordHash,
    now: DateTime<Utc>,
) -> bool {
    let Some(row) = tables.users.get_mut(&id) else {
        return false;
    };
    row.password_hash = hash;
    row.token_version += 1;
    row.failed_logins = 0;
    row.locked_until = None;
    row.user.updated_at = now;
    super::sessions::end_where(tables, now, |_, session| session.user_id == id);
    true
}

/// Makes `email` user `id`'s verified address; its address before, or
/// `None` when there is no such user.
pub(super) fn verify_email(
    tables: &mut Tables,
    id: UserId,
    email: &Email,
    now: DateTime<Utc>,
) -> Option<Email> {
    let row = tables.users.get_mut(&id)?;
    let previous = std::mem::replace(&mut row.user.email, email.clone());
    row.user.email_verified = true;
    row.user.updated_at = now;
    Some(previous)
}

/// Marks user `id`'s email verified (a link sent to it was followed).
pub(super) fn mark_email_verified(tables: &mut Tables, id: UserId) {
    if let Some(row) = tables.users.get_mut(&id) {
        row.user.email_verified = true;
    }
}

/// The token version of user `id`, if stored.
pub(super) fn token_version(tables: &Tables, id: UserId) -> Option<i64> {
    tables.users.get(&id).map(|row| row.token_version)
}

/// What the token check needs about user `id` and `credential`.
pub(super) fn token_subject(
    tables: &Tables,
    id: UserId,
    credential: Option<Credential>,
) -> Option<TokenSubject> {
    let row = tables.users.get(&id)?;
    let credential_live = match credential {
        None => true,
        Some(Credential::Session(session)) => tables
            .sessions
            .get(&session)
            .is_some_and(|s| s.user_id == id && s.ended_at.is_none()),
        Some(Credential::AccessToken(token)) => {
            super::access_tokens::is_unrevoked(tables, id, token)
        }
    };
    Some(TokenSubject {
        user: row.user.clone(),
        token_version: row.token_version,
        credential_live,
    })
}

#[async_trait]
impl UserRepository for MemoryUsers {
    async fn create(&self, new: NewUser) -> Result<User> {
        let mut tables = self.store.lock();
        if tables
            .users
            .values()
            .any(|row| row.user.email == new.user.email)
        {
            return Err(Error::EmailTaken);
        }
        if tables.users.contains_key(&new.user.id) {
            return Err(Error::internal("a user with this id exists"));
        }
        let row = UserRow {
            user: new.user.clone(),
            password_hash: new.password_hash,
            token_version: 0,
            failed_logins: 0,
            locked_until: None,
        };
        tables.users.insert(new.user.id, row);
        Ok(new.user)
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.store.lock().users.get(&id).map(|row| row.user.clone()))
    }

    async fn find_token_subject(
        &self,
        id: UserId,
        credential: Option<Credential>,
    ) -> Result<Option<TokenSubject>> {
        Ok(token_subject(&self.store.lock(), id, credential))
    }

    async fn find_credentials(&self, email: &Email) -> Result<Option<Credentials>> {
        let tables = self.store.lock();
        let row = tables.users.values().find(|row| &row.user.email == email);
        Ok(row.map(UserRow::credentials))
    }

    async fn find_credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>> {
        Ok(self.store.lock().users.get(&id).map(UserRow::credentials))
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(id, |row| {
            row.password_hash = hash;
            row.user.updated_at = now;
        })
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tables = self.store.lock();
        if token_version(&tables, id) != Some(version) {
            return Ok(false);
        }
        Ok(set_password(&mut tables, id, hash, now))
    }

    async fn record_failed_login(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        policy: LockoutPolicy,
    ) -> Result<bool> {
        let counted = self.write(id, |row| {
            let lock_expired = row.locked_until.is_some_and(|until| until <= now);
            row.failed_logins = if lock_expired {
                1
            } else {
                row.failed_logins.saturating_add(1)
            };
            row.locked_until =
                (row.failed_logins >= policy.max_failures).then(|| now + policy.lockout);
            row.failed_logins == policy.max_failures
        });
        // Like an UPDATE that matches no row: nothing to count.
        match counted {
            Err(Error::NotFound) => Ok(false),
            other => other,
        }
    }

    async fn clear_failed_logins(&self, id: UserId, now: DateTime<Utc>) -> Result<bool> {
        let cleared = self.write(id, |row| {
            if row.locked_until.is_some_and(|until| until > now) {
                return false;
            }
            row.failed_logins = 0;
            row.locked_until = None;
            true
        });
        match cleared {
            Err(Error::NotFound) => Ok(false),
            other => other,
        }
    }

    async fn rename(&self, id: UserId, name: UserName, now: DateTime<Utc>) -> Result<User> {
        self.write(id, |row| {
            row.user.name = name;
            row.user.updated_at = now;
            row.user.clone()
        })
    }

    async fn delete(&self, id: UserId) -> Result<()> {
        let mut tables = self.store.lock();
        if tables.users.remove(&id).is_none() {
            return Ok(());
        }
        tables.tasks.retain(|_, task| task.owner != id);
        tables.trash.retain(|_, trashed| trashed.task.owner != id);
        tables.labels.retain(|_, label| label.owner != id);
        tables.sessions.retain(|_, session| session.user_id != id);
        tables.refresh_tokens.retain(|_, token| token.user_id != id);
        tables.idempotency_keys.retain(|(owner, _), _| *owner != id);
        tables
            .password_resets
            .retain(|_, reset| reset.user_id != id);
        tables.totp_factors.remove(&id);
        tables.access_tokens.retain(|_, row| row.user_id != id);
        tables.changes.remove(&id);
        tables.recovery_codes.remove(&id);
        tables.challenges.retain(|_, row| row.user_id() != id);
        tables
            .email_verifications
            .retain(|_, row| row.user_id != id);
        tables
            .security_events
            .retain(|recorded| recorded.event.user_id != id);
        Ok(())
    }
}
