//! The trash: deleted tasks are kept for a while, listed, and can be
//! brought back or erased, until a purge erases them for good.

use chrono::{DateTime, Utc};

use super::{PageLimit, Task};

/// A task in the trash, as it was when deleted. Only a task deleted on its
/// own is listed; its subtasks went with it and come back with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashedTask {
    /// The task as it was deleted.
    pub task: Task,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
}

/// Which page of the trash: newest deletion first, then by id, descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrashQuery {
    /// Page size.
    pub limit: PageLimit,
    /// Deleted tasks to skip (at most `i64::MAX`).
    pub offset: u64,
}

/// One page of the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashPage {
    /// The deleted tasks on this page, in order.
    pub tasks: Vec<TrashedTask>,
    /// How many deleted tasks there are before paging.
    pub total: u64,
}
