//! The trash: deleted tasks are kept for a while, listed, and can be
//! brought back or erased, until a purge erases them for good.

use chrono::{DateTime, Utc};

use super::{PageLimit, Task, TaskId};

/// A task in the trash, as it was when deleted. Only a task deleted on its
/// own is listed; its subtasks went with it and come back with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashedTask {
    /// The task as it was deleted.
    pub task: Task,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
}

/// A task as storage keeps it: live, or in the trash since `deleted_at`
/// (an export holds both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTask {
    /// The task (as it was deleted, when it is in the trash).
    pub task: Task,
    /// When it went to the trash; `None` for a live task.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Where a page of stored tasks resumes: they are read in the order they
/// were created (the time, then the id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredKey {
    /// When the last task read was created.
    pub created_at: DateTime<Utc>,
    /// Its id.
    pub id: TaskId,
}

impl StoredKey {
    /// The position of `task`.
    pub fn of(task: &Task) -> Self {
        Self {
            created_at: task.created_at,
            id: task.id,
        }
    }
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
