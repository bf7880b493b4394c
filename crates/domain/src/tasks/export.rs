//! The owner's data as one document, read in parts so that it can be
//! streamed: first the account, the labels and a sync cursor, then every
//! task, the trash's too, a page at a time in the order they were
//! created. Applying the feed
//! from the cursor to the export brings it up to date with whatever was
//! written while it was read.

use crate::changes::SyncCursor;
use crate::error::{Error, Result};
use crate::label::Label;
use crate::task::{PageLimit, StoredKey, StoredTask};
use crate::user::User;

use super::OwnerTasks;

/// What an export begins with.
#[derive(Debug, Clone)]
pub struct ExportHead {
    /// The owner's account.
    pub account: User,
    /// Every label of the owner's.
    pub labels: Vec<Label>,
    /// The feed's position when the export began (read before anything
    /// else, so that it never claims more than the export holds).
    pub cursor: SyncCursor,
}

impl OwnerTasks {
    /// How an export begins: the sync cursor at the owner's latest change,
    /// then the account and every label.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer is not live;
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn export_head(&self) -> Result<ExportHead> {
        let cursor = SyncCursor {
            owner: self.owner(),
            seq: self.latest_change().await?,
            started: self.service.clock.now(),
            snapshot: false,
        };
        let Some(account) = self.service.users.find_by_id(self.owner()).await? else {
            self.ensure_live().await?;
            return Err(Error::internal("a live bearer without an account"));
        };
        let labels = self.labels().await?;
        Ok(ExportHead {
            account,
            labels,
            cursor,
        })
    }

    /// The next page of the export: at most `limit` of the owner's tasks,
    /// live or in the trash, in the order they were created, after `after`
    /// (from the first without one). A page shorter than `limit` is the
    /// last.
    ///
    /// # Errors
    /// As [`OwnerTasks::export_head`]: a bearer revoked during the export
    /// ends it with [`Error::Unauthorized`] rather than a short page.
    pub async fn export_tasks(
        &self,
        after: Option<StoredKey>,
        limit: PageLimit,
    ) -> Result<Vec<StoredTask>> {
        let page = self
            .service
            .tasks
            .stored(&self.bearer, after, limit)
            .await?;
        if page.len() < usize::try_from(limit.get()).unwrap_or(usize::MAX) {
            self.ensure_live().await?;
        }
        Ok(page)
    }
}
