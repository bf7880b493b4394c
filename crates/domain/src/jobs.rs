//! Work that runs now and then on every server, done once across all of
//! them: a server takes a job's lease in storage that every replica
//! shares, and only the one that gets it does the work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;

/// The job that erases what has been in the trash longer than the
/// retention.
pub const TRASH_PURGE: &str = "trash-purge";

/// Leases of jobs, shared by every server replica.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait JobLeases: Send + Sync {
    /// Takes the lease of `job` until `until` when nobody holds it at
    /// `now` (never taken, or held only until `now` or earlier), in one
    /// atomic step across replicas: `true` for the one caller that got it.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn acquire(&self, job: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool>;
}
