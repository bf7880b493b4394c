//! Personal access tokens (by the hash of their secret) in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, Tables};
use crate::access_token::{
    AccessToken, AccessTokenId, AccessTokenStore, NewAccessToken, StoredAccessToken,
};
use crate::error::{Error, Result, TokenRejection};
use crate::session::TokenHash;
use crate::user::UserId;

/// A stored token.
#[derive(Debug, Clone)]
pub(super) struct TokenRow {
    pub(super) token: AccessToken,
    pub(super) user_id: UserId,
    hash: TokenHash,
    token_version: i64,
    revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    /// Whether it works at `now`: not revoked, not expired, made under its
    /// user's current token version.
    fn is_live(&self, tables: &Tables, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none()
            && self.token.expires_at.is_none_or(|at| at > now)
            && self.is_current(tables)
    }

    /// Whether its user is active at the token version it was made under.
    fn is_current(&self, tables: &Tables) -> bool {
        is_at_version(tables, self.user_id, self.token_version)
    }
}

/// Whether `user` has the token `id`, unrevoked (expired or not: expiry is
/// checked in memory).
pub(super) fn is_unrevoked(tables: &Tables, user: UserId, id: AccessTokenId) -> bool {
    tables
        .access_tokens
        .get(&id)
        .is_some_and(|row| row.user_id == user && row.revoked_at.is_none())
}

/// Whether `user` exists, is active, and is at token version `version`.
fn is_at_version(tables: &Tables, user: UserId, version: i64) -> bool {
    tables
        .users
        .get(&user)
        .is_some_and(|row| row.user().is_active)
        && super::users::token_version(tables, user) == Some(version)
}

/// [`AccessTokenStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryAccessTokens {
    store: MemoryStore,
}

impl MemoryAccessTokens {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

fn live_of(tables: &Tables, user: UserId, now: DateTime<Utc>) -> Vec<&TokenRow> {
    tables
        .access_tokens
        .values()
        .filter(|row| row.user_id == user && row.is_live(tables, now))
        .collect()
}

#[async_trait]
impl AccessTokenStore for MemoryAccessTokens {
    async fn create(
        &self,
        token: &NewAccessToken,
        max_live: usize,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tables = self.store.lock();
        if !is_at_version(&tables, token.user_id, token.token_version) {
            return Err(Error::Unauthorized(TokenRejection::Revoked));
        }
        if live_of(&tables, token.user_id, now).len() >= max_live {
            return Err(Error::TooManyAccessTokens);
        }
        let row = TokenRow {
            token: token.token.clone(),
            user_id: token.user_id,
            hash: token.hash.clone(),
            token_version: token.token_version,
            revoked_at: None,
        };
        tables.access_tokens.insert(token.token.id, row);
        Ok(())
    }

    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<AccessToken>> {
        let tables = self.store.lock();
        let mut tokens: Vec<AccessToken> = live_of(&tables, user, now)
            .into_iter()
            .map(|row| row.token.clone())
            .collect();
        tokens.sort_by_key(|token| std::cmp::Reverse(token.created_at));
        Ok(tokens)
    }

    async fn revoke(&self, user: UserId, id: AccessTokenId, now: DateTime<Utc>) -> Result<bool> {
        let mut tables = self.store.lock();
        let live = tables
            .access_tokens
            .get(&id)
            .is_some_and(|row| row.user_id == user && row.is_live(&tables, now));
        if let Some(row) = tables.access_tokens.get_mut(&id).filter(|_| live) {
            row.revoked_at = Some(now);
        }
        Ok(live)
    }

    async fn find(&self, hash: &TokenHash) -> Result<Option<StoredAccessToken>> {
        let tables = self.store.lock();
        Ok(tables
            .access_tokens
            .values()
            .find(|row| row.hash == *hash && row.revoked_at.is_none() && row.is_current(&tables))
            .map(|row| StoredAccessToken {
                id: row.token.id,
                user_id: row.user_id,
                scopes: row.token.scopes,
                token_version: row.token_version,
                expires_at: row.token.expires_at,
                last_used_at: row.token.last_used_at,
            }))
    }

    async fn touch(
        &self,
        id: AccessTokenId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tables = self.store.lock();
        if let Some(row) = tables.access_tokens.get_mut(&id)
            && row.token.last_used_at.is_none_or(|at| at <= since)
        {
            row.token.last_used_at = Some(now);
        }
        Ok(())
    }
}
