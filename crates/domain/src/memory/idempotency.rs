//! Idempotency keys in memory, unique per (owner, key).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::error::Result;
use crate::idempotency::{Claim, IdempotencyStore};
use crate::idempotency::{IdempotencyKey, StoredResponse};
use crate::user::UserId;

/// A claimed key: its request's fingerprint and, once finished, its answer.
#[derive(Debug, Clone)]
pub(super) struct KeyRow {
    fingerprint: String,
    response: Option<StoredResponse>,
    created_at: DateTime<Utc>,
}

/// [`IdempotencyStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryIdempotency {
    store: MemoryStore,
}

impl MemoryIdempotency {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn claim(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Claim> {
        let mut tables = self.store.lock();
        let slot = (owner, key.clone());
        if let Some(row) = tables.idempotency_keys.get(&slot) {
            let unfinished = row.response.is_none();
            let stale = row.created_at < expired_before
                || (unfinished && row.created_at < abandoned_before);
            if !stale {
                return Ok(if row.fingerprint != fingerprint {
                    Claim::Mismatch
                } else {
                    match &row.response {
                        Some(response) => Claim::Replay(response.clone()),
                        None => Claim::InProgress,
                    }
                });
            }
        }
        let row = KeyRow {
            fingerprint: fingerprint.to_owned(),
            response: None,
            created_at: now,
        };
        tables.idempotency_keys.insert(slot, row);
        Ok(Claim::Started)
    }

    async fn complete(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<()> {
        let mut tables = self.store.lock();
        if let Some(row) = tables.idempotency_keys.get_mut(&(owner, key.clone())) {
            row.response = Some(response.clone());
        }
        Ok(())
    }

    async fn release(&self, owner: UserId, key: &IdempotencyKey) -> Result<()> {
        let mut tables = self.store.lock();
        let slot = (owner, key.clone());
        if tables
            .idempotency_keys
            .get(&slot)
            .is_some_and(|row| row.response.is_none())
        {
            tables.idempotency_keys.remove(&slot);
        }
        Ok(())
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut tables = self.store.lock();
        let count = tables.idempotency_keys.len();
        tables
            .idempotency_keys
            .retain(|_, row| row.created_at >= before);
        let purged = count - tables.idempotency_keys.len();
        Ok(u64::try_from(purged).unwrap_or(u64::MAX))
    }
}
