//! The security event log in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::Result;
use crate::security_log::{RecordedEvent, SecurityEvent, SecurityLog};
use crate::user::UserId;

/// [`SecurityLog`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemorySecurityLog {
    store: MemoryStore,
}

impl MemorySecurityLog {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SecurityLog for MemorySecurityLog {
    async fn record(&self, event: SecurityEvent) -> Result<()> {
        let mut tables = self.store.lock();
        let id = tables.security_events.last().map_or(1, |last| last.id + 1);
        tables.security_events.push(RecordedEvent { id, event });
        Ok(())
    }

    async fn list(
        &self,
        user: UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>> {
        let tables = self.store.lock();
        Ok(tables
            .security_events
            .iter()
            .rev()
            .filter(|recorded| recorded.event.user_id == user)
            .filter(|recorded| before.is_none_or(|before| recorded.id < before))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }
}
