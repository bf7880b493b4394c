//! Rate-limit state in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::Result;
use crate::rate_limit::RateLimitStore;

/// [`RateLimitStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryRateLimits {
    store: MemoryStore,
}

impl MemoryRateLimits {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl RateLimitStore for MemoryRateLimits {
    async fn take(&self, key: &str, now: i64, interval: i64, window: i64) -> Result<(bool, i64)> {
        let mut tables = self.store.lock();
        let tat = tables.rate_limits.entry(key.to_owned()).or_insert(now);
        let from = (*tat).max(now);
        let admitted = from + interval - now <= window;
        if admitted {
            *tat = from + interval;
        }
        Ok((admitted, *tat))
    }

    async fn purge(&self, cutoff: i64) -> Result<u64> {
        let mut tables = self.store.lock();
        let before = tables.rate_limits.len();
        tables.rate_limits.retain(|_, tat| *tat >= cutoff);
        Ok(u64::try_from(before - tables.rate_limits.len()).unwrap_or(u64::MAX))
    }
}
