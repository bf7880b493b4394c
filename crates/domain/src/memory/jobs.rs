//! Job leases in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::error::Result;
use crate::jobs::JobLeases;

/// [`JobLeases`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryJobLeases {
    store: MemoryStore,
}

impl MemoryJobLeases {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl JobLeases for MemoryJobLeases {
    async fn acquire(&self, job: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let mut tables = self.store.lock();
        let held = tables.job_leases.get(job).is_some_and(|&held| held > now);
        if !held {
            tables.job_leases.insert(job.to_owned(), until);
        }
        Ok(!held)
    }
}
