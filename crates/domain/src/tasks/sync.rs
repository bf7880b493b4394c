//! Reading the owner's change log: the sync feed, its cursors, the
//! validator of listings, and the activity.

use crate::changes::{
    ActivityCursor, ActivityQuery, Change, ChangeSeq, FeedPage, FeedQuery, SyncCursor,
};
use crate::error::{Error, Result};
use crate::task::{TaskPage, TaskQuery};

use super::OwnerTasks;

impl OwnerTasks {
    /// The owner's latest change: what a listing's validator is made of
    /// (read before the listing, so that a validator never claims more
    /// than its listing holds).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer is not live;
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn latest_change(&self) -> Result<ChangeSeq> {
        match self.service.changes.head(&self.bearer).await? {
            Some(head) => Ok(head),
            None => {
                self.ensure_live().await?;
                Err(Error::internal("a live bearer without a change log"))
            }
        }
    }

    /// One page of the tasks and the owner's latest change as of that
    /// page, which a listing's validator is made of: read with the page
    /// where storage can, else just before it, so that a validator never
    /// claims more than its page holds.
    ///
    /// # Errors
    /// As [`OwnerTasks::latest_change`].
    pub async fn list_with_latest(&self, query: &TaskQuery) -> Result<(TaskPage, ChangeSeq)> {
        let query = self.listing(query);
        let page = self.service.tasks.list(&self.bearer, &query).await?;
        match page.latest {
            Some(latest) => Ok((page, latest)),
            None => {
                let latest = self.latest_change().await?;
                let page = self.service.tasks.list(&self.bearer, &query).await?;
                Ok((page, latest))
            }
        }
    }

    /// One page of the feed after `cursor` (from a snapshot without one),
    /// of at most `limit` entries, and the cursor to read on from.
    ///
    /// # Errors
    /// [`Error::InvalidCursor`] for another user's cursor or one ahead of
    /// the log; [`Error::CursorExpired`] for one whose run began longer
    /// ago than the log's retention; as [`OwnerTasks::latest_change`].
    pub async fn changes(
        &self,
        cursor: Option<SyncCursor>,
        limit: u32,
    ) -> Result<(FeedPage, SyncCursor)> {
        let now = self.service.clock.now();
        if let Some(cursor) = cursor {
            if cursor.owner != self.owner() || cursor.started > now {
                return Err(Error::InvalidCursor);
            }
            if cursor.started < now - self.service.sync_retention {
                return Err(Error::CursorExpired);
            }
        }
        let query = FeedQuery {
            since: cursor.map_or(ChangeSeq::START, |cursor| cursor.seq),
            snapshot: cursor.is_none_or(|cursor| cursor.snapshot),
            limit,
        };
        let Some(page) = self.service.changes.feed(&self.bearer, query).await? else {
            self.ensure_live().await?;
            return Err(Error::internal("a live bearer without a change log"));
        };
        if cursor.is_some_and(|cursor| cursor.seq > page.reached) {
            return Err(Error::InvalidCursor);
        }
        // A run of pages keeps the time it began; a read that caught up
        // begins the next run.
        let started = match cursor {
            Some(cursor) if page.has_more => cursor.started,
            _ => now,
        };
        let next = SyncCursor {
            owner: self.owner(),
            seq: page.reached,
            started,
            snapshot: query.snapshot && page.has_more,
        };
        Ok((page, next))
    }

    /// One page of the owner's change log, newest first, of at most
    /// `limit` changes before `cursor` (from the latest without one), and
    /// the cursor of the next page when there is one.
    ///
    /// # Errors
    /// [`Error::InvalidCursor`] for another user's cursor; as
    /// [`OwnerTasks::latest_change`].
    pub async fn activity(
        &self,
        cursor: Option<ActivityCursor>,
        limit: u32,
    ) -> Result<(Vec<Change>, Option<ActivityCursor>)> {
        if cursor.is_some_and(|cursor| cursor.owner != self.owner()) {
            return Err(Error::InvalidCursor);
        }
        let query = ActivityQuery {
            before: cursor.map(|cursor| cursor.before),
            limit: limit.saturating_add(1),
        };
        let mut changes = self.service.changes.activity(&self.bearer, query).await?;
        if changes.is_empty() {
            self.ensure_live().await?;
        }
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = changes.len() > limit;
        changes.truncate(limit);
        let next = match changes.last() {
            Some(last) if more => Some(ActivityCursor {
                owner: self.owner(),
                before: last.seq,
            }),
            _ => None,
        };
        Ok((changes, next))
    }
}
