//! Email-verification links in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::session::TokenHash;
use crate::user::{Email, UserId};
use crate::verification::{EmailVerificationStore, VerifiedEmail};

/// A stored link.
#[derive(Debug, Clone)]
pub(super) struct VerificationRow {
    pub(super) user_id: UserId,
    email: Email,
    token_version: i64,
    expires_at: DateTime<Utc>,
}

/// [`EmailVerificationStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryEmailVerifications {
    store: MemoryStore,
}

impl MemoryEmailVerifications {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EmailVerificationStore for MemoryEmailVerifications {
    async fn issue(
        &self,
        hash: &TokenHash,
        user: UserId,
        email: &Email,
        token_version: i64,
        _now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tables = self.store.lock();
        tables
            .email_verifications
            .retain(|_, row| row.user_id != user || row.email != *email);
        let row = VerificationRow {
            user_id: user,
            email: email.clone(),
            token_version,
            expires_at,
        };
        tables.email_verifications.insert(hash.clone(), row);
        Ok(())
    }

    async fn redeem(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<VerifiedEmail>> {
        let mut tables = self.store.lock();
        let Some(link) = tables
            .email_verifications
            .get(hash)
            .filter(|row| row.expires_at > now)
            .cloned()
        else {
            return Ok(None);
        };
        if super::users::token_version(&tables, link.user_id) != Some(link.token_version) {
            return Ok(None);
        }
        let taken = tables
            .users
            .values()
            .any(|row| row.user().id != link.user_id && row.user().email == link.email);
        if taken {
            return Err(Error::EmailTaken);
        }
        let Some(previous) =
            super::users::verify_email(&mut tables, link.user_id, &link.email, now)
        else {
            return Ok(None);
        };
        tables
            .email_verifications
            .retain(|_, row| row.user_id != link.user_id);
        Ok(Some(VerifiedEmail {
            user_id: link.user_id,
            email: link.email,
            previous,
        }))
    }

    async fn purge(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut tables = self.store.lock();
        let before = tables.email_verifications.len();
        tables
            .email_verifications
            .retain(|_, row| row.expires_at > now);
        let purged = before - tables.email_verifications.len();
        Ok(u64::try_from(purged).unwrap_or(u64::MAX))
    }
}
