//! Password-reset tokens in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, users};
use crate::error::Result;
use crate::reset::PasswordResetStore;
use crate::session::TokenHash;
use crate::user::{PasswordHash, UserId};

/// A stored reset token.
#[derive(Debug, Clone)]
pub(super) struct ResetRow {
    pub(super) user_id: UserId,
    token_version: i64,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// [`PasswordResetStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryPasswordResets {
    store: MemoryStore,
}

impl MemoryPasswordResets {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl PasswordResetStore for MemoryPasswordResets {
    async fn create(
        &self,
        hash: &TokenHash,
        user: UserId,
        token_version: i64,
        _now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let row = ResetRow {
            user_id: user,
            token_version,
            expires_at,
            used: false,
        };
        self.store.lock().password_resets.insert(hash.clone(), row);
        Ok(())
    }

    async fn find(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<(UserId, i64)>> {
        let tables = self.store.lock();
        Ok(tables
            .password_resets
            .get(hash)
            .filter(|row| !row.used && row.expires_at > now)
            .map(|row| (row.user_id, row.token_version)))
    }

    async fn redeem(
        &self,
        hash: &TokenHash,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tables = self.store.lock();
        let Some(row) = tables
            .password_resets
            .get(hash)
            .filter(|row| !row.used && row.expires_at > now)
        else {
            return Ok(false);
        };
        let user_id = row.user_id;
        if users::token_version(&tables, user_id) != Some(row.token_version) {
            return Ok(false);
        }
        if let Some(row) = tables.password_resets.get_mut(hash) {
            row.used = true;
        }
        let set = users::set_password(&mut tables, user_id, password_hash, now);
        if set {
            users::mark_email_verified(&mut tables, user_id);
        }
        Ok(set)
    }
}
