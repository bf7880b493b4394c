//! The trash in memory: a deleted task moves from the live tasks to the
//! `trash` table, with when and with which task it went.

use chrono::{DateTime, Utc};

use super::tasks::{ancestors, live, owned_at, siblings, touch};
use super::{Tables, changes};
use crate::bearer::Bearer;
use crate::error::{Error, Result};
use crate::task::{
    MAX_DEPTH, PageLimit, Position, Precondition, StoredKey, StoredTask, Task, TaskId, TrashPage,
    TrashQuery, TrashedTask, check_parent,
};
use crate::user::UserId;

/// A task in the trash.
#[derive(Debug, Clone)]
pub(super) struct Trashed {
    pub(super) task: Task,
    pub(super) deleted_at: DateTime<Utc>,
    /// The task whose deletion took this one (itself, when deleted on its
    /// own).
    with: TaskId,
}

/// [`TaskRepository::delete`](crate::ports::TaskRepository::delete) on
/// locked tables.
pub(super) fn delete_in(
    tables: &mut Tables,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<()> {
    owned_at(tables, bearer, id, precondition)?;
    let mut doomed = vec![id];
    while let Some(next) = doomed.pop() {
        let Some(task) = tables.tasks.remove(&next) else {
            continue;
        };
        doomed.extend(
            tables
                .tasks
                .values()
                .filter(|task| task.parent == Some(next))
                .map(|task| task.id),
        );
        let trashed = Trashed {
            task,
            deleted_at: now,
            with: id,
        };
        tables.trash.insert(next, trashed);
    }
    Ok(())
}

/// The bearer's task `id` as the trash lists it (deleted on its own), if
/// the bearer is live.
fn listed<'t>(tables: &'t Tables, bearer: &Bearer, id: TaskId) -> Option<&'t Trashed> {
    let trashed = tables.trash.get(&id)?;
    (live(tables, bearer) && trashed.task.owner == bearer.user_id && trashed.with == id)
        .then_some(trashed)
}

/// One page of the bearer's trash, newest deletion first.
pub(super) fn page(tables: &Tables, bearer: &Bearer, query: &TrashQuery) -> Result<TrashPage> {
    let mut found: Vec<&Trashed> = tables
        .trash
        .keys()
        .filter_map(|&id| listed(tables, bearer, id))
        .collect();
    found.sort_by_key(|t| std::cmp::Reverse((t.deleted_at, t.task.id)));
    let total = u64::try_from(found.len()).map_err(Error::internal)?;
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(query.limit.get()).unwrap_or(usize::MAX);
    let tasks = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|trashed| TrashedTask {
            task: trashed.task.clone(),
            deleted_at: trashed.deleted_at,
        })
        .collect();
    Ok(TrashPage { tasks, total })
}

/// [`TaskRepository::stored`](crate::ports::TaskRepository::stored) on
/// locked tables: the live tasks and the trash's, merged in the order
/// they were created.
pub(super) fn stored(
    tables: &Tables,
    bearer: &Bearer,
    after: Option<StoredKey>,
    limit: PageLimit,
) -> Vec<StoredTask> {
    if !live(tables, bearer) {
        return Vec::new();
    }
    let live_tasks = tables.tasks.values().map(|task| StoredTask {
        task: task.clone(),
        deleted_at: None,
    });
    let trashed = tables.trash.values().map(|trashed| StoredTask {
        task: trashed.task.clone(),
        deleted_at: Some(trashed.deleted_at),
    });
    let mut found: Vec<StoredTask> = live_tasks
        .chain(trashed)
        .filter(|stored| stored.task.owner == bearer.user_id)
        .filter(|stored| after.is_none_or(|after| StoredKey::of(&stored.task) > after))
        .collect();
    found.sort_by_key(|stored| StoredKey::of(&stored.task));
    found.truncate(usize::try_from(limit.get()).unwrap_or(usize::MAX));
    found
}

/// How many levels the subtree deleted with `id` has, itself included.
fn trashed_height(tables: &Tables, id: TaskId) -> usize {
    let mut level = vec![id];
    let mut height = 0;
    while !level.is_empty() && height <= MAX_DEPTH {
        height += 1;
        level = tables
            .trash
            .values()
            .filter(|t| t.with == id && t.task.parent.is_some_and(|p| level.contains(&p)))
            .map(|t| t.task.id)
            .collect();
    }
    height
}

/// [`TaskRepository::restore`](crate::ports::TaskRepository::restore) on
/// locked tables.
pub(super) fn restore_in(
    tables: &mut Tables,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<Task> {
    let trashed = listed(tables, bearer, id).ok_or(Error::NotFound)?;
    if let Precondition::Version(expected) = precondition
        && expected != trashed.task.version
    {
        return Err(Error::PreconditionFailed);
    }
    let fits = trashed.task.parent.is_none_or(|parent| {
        ancestors(tables, bearer.user_id, parent)
            .is_ok_and(|chain| check_parent(Some(id), &chain, trashed_height(tables, id)).is_ok())
    });
    let top = if fits {
        None
    } else {
        let last = siblings(tables, bearer.user_id, None, None)
            .last()
            .map(|&(_, position)| position);
        Some(Position::after(last).ok_or_else(|| Error::internal("no room after the last task"))?)
    };
    let back: Vec<TaskId> = tables
        .trash
        .values()
        .filter(|trashed| trashed.with == id)
        .map(|trashed| trashed.task.id)
        .collect();
    for task_id in back {
        if let Some(Trashed { mut task, .. }) = tables.trash.remove(&task_id) {
            if let (true, Some(position)) = (task_id == id, top) {
                (task.parent, task.position) = (None, position);
            }
            touch(&mut task, now);
            tables.tasks.insert(task_id, task);
        }
    }
    tables.tasks.get(&id).cloned().ok_or(Error::NotFound)
}

/// [`TaskRepository::purge`](crate::ports::TaskRepository::purge) on
/// locked tables: the task and every task under it in the trash,
/// whichever deletion took them.
pub(super) fn purge_in(tables: &mut Tables, bearer: &Bearer, id: TaskId) -> Result<()> {
    listed(tables, bearer, id).ok_or(Error::NotFound)?;
    let mut doomed = vec![id];
    while let Some(next) = doomed.pop() {
        tables.trash.remove(&next);
        doomed.extend(
            tables
                .trash
                .values()
                .filter(|trashed| trashed.task.parent == Some(next))
                .map(|trashed| trashed.task.id),
        );
    }
    Ok(())
}

/// [`TaskRepository::purge_deleted_before`](crate::ports::TaskRepository::purge_deleted_before)
/// on locked tables, recording a tombstone at `now` for each task.
pub(super) fn purge_deleted_before(
    tables: &mut Tables,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut owners: Vec<UserId> = tables
        .trash
        .values()
        .filter(|trashed| trashed.deleted_at < before)
        .map(|trashed| trashed.task.owner)
        .collect();
    owners.sort_unstable_by_key(|owner| owner.as_uuid());
    owners.dedup();
    let snapshots: Vec<_> = owners
        .into_iter()
        .map(|owner| changes::before(tables, owner))
        .collect();
    let count = tables.trash.len();
    tables
        .trash
        .retain(|_, trashed| trashed.deleted_at >= before);
    for snapshot in &snapshots {
        changes::record(tables, snapshot, None, now);
    }
    u64::try_from(count - tables.trash.len()).map_err(Error::internal)
}
