//! The scheduled purge of the trash: what every user deleted longer ago
//! than the retention is erased, by one server at a time.

use std::sync::Arc;

use chrono::Duration;

use crate::error::Result;
use crate::jobs::{JobLeases, TRASH_PURGE};
use crate::ports::{Clock, TaskRepository};

/// Erases what has been in the trash longer than `retention`, run every
/// `every` by each server: the one that takes the job's lease does it.
#[derive(Clone)]
pub struct TrashPurge {
    tasks: Arc<dyn TaskRepository>,
    leases: Arc<dyn JobLeases>,
    clock: Arc<dyn Clock>,
    retention: Duration,
    every: Duration,
}

impl std::fmt::Debug for TrashPurge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrashPurge")
            .field("retention", &self.retention)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl TrashPurge {
    /// Wires the purge to its ports and its times.
    pub fn new(
        tasks: Arc<dyn TaskRepository>,
        leases: Arc<dyn JobLeases>,
        clock: Arc<dyn Clock>,
        retention: Duration,
        every: Duration,
    ) -> Self {
        Self {
            tasks,
            leases,
            clock,
            retention,
            every,
        }
    }

    /// One run: when this server takes the lease (held for nine tenths of
    /// `every`, so that the next run anywhere finds it free again), erases
    /// what was deleted before now minus the retention and answers how
    /// many tasks; `None` when another server holds the lease.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    pub async fn run(&self) -> Result<Option<u64>> {
        let now = self.clock.now();
        let until = now + self.every * 9 / 10;
        if !self.leases.acquire(TRASH_PURGE, now, until).await? {
            return Ok(None);
        }
        let purged = self
            .tasks
            .purge_deleted_before(now - self.retention, now)
            .await?;
        Ok(Some(purged))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use mockall::predicate::eq;

    use super::*;
    use crate::jobs::MockJobLeases;
    use crate::memory::FixedClock;
    use crate::ports::MockTaskRepository;

    fn purge(tasks: MockTaskRepository, leases: MockJobLeases) -> TrashPurge {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 31, 12, 0, 0)
            .single()
            .expect("a time");
        TrashPurge::new(
            Arc::new(tasks),
            Arc::new(leases),
            Arc::new(FixedClock::new(now)),
            Duration::days(30),
            Duration::hours(1),
        )
    }

    #[tokio::test]
    async fn the_server_with_the_lease_erases_what_is_older_than_the_retention() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 31, 12, 0, 0)
            .single()
            .expect("a time");
        let mut leases = MockJobLeases::new();
        leases
            .expect_acquire()
            .with(eq(TRASH_PURGE), eq(now), eq(now + Duration::minutes(54)))
            .times(1)
            .returning(|_, _, _| Ok(true));
        let mut tasks = MockTaskRepository::new();
        tasks
            .expect_purge_deleted_before()
            .with(eq(now - Duration::days(30)), eq(now))
            .times(1)
            .returning(|_, _| Ok(7));

        assert_eq!(purge(tasks, leases).run().await.expect("ran"), Some(7));
    }

    #[tokio::test]
    async fn a_server_without_the_lease_erases_nothing() {
        let mut leases = MockJobLeases::new();
        leases.expect_acquire().returning(|_, _, _| Ok(false));
        let mut tasks = MockTaskRepository::new();
        tasks.expect_purge_deleted_before().never();

        assert_eq!(purge(tasks, leases).run().await.expect("ran"), None);
    }
}
