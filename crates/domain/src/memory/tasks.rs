//! Tasks in memory, always filtered by the bearer, who must be live.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::changes::{head_of, recorded};
use super::labels::{check_room, resolve};
use super::trash;
use super::users::token_subject;
use super::{MemoryStore, Tables};
use crate::bearer::Bearer;
use crate::error::{Error, Result};
use crate::ports::TaskRepository;
use crate::task::{
    BatchRefusal, MAX_DEPTH, NewTask, PageLimit, Placement, PlacementError, Position, Precondition,
    StoredKey, StoredTask, Task, TaskChanges, TaskId, TaskOp, TaskPage, TaskQuery, TrashPage,
    TrashQuery, check_parent, place,
};
use crate::user::UserId;

/// [`TaskRepository`] in a [`MemoryStore`]. Ids count up from 1 across
/// all owners, like a database sequence.
#[derive(Debug, Clone)]
pub struct MemoryTasks {
    store: MemoryStore,
}

impl MemoryTasks {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

/// Whether the bearer is live, by the same rule as the token check.
pub(super) fn live(tables: &Tables, bearer: &Bearer) -> bool {
    let subject = token_subject(tables, bearer.user_id, bearer.credential);
    bearer.admit(subject).is_ok()
}

/// The bearer's task `id`, if its version satisfies `precondition`:
/// `NotFound` when the bearer has no such task (or is not live),
/// `PreconditionFailed` when it is at another version.
pub(super) fn owned_at<'t>(
    tables: &'t mut Tables,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
) -> Result<&'t mut Task> {
    if !live(tables, bearer) {
        return Err(Error::NotFound);
    }
    let task = tables
        .tasks
        .get_mut(&id)
        .filter(|task| task.owner == bearer.user_id)
        .ok_or(Error::NotFound)?;
    match precondition {
        Precondition::Version(expected) if expected != task.version => {
            Err(Error::PreconditionFailed)
        }
        _ => Ok(task),
    }
}

/// `parent` and its ancestors, nearest first, if `parent` is the owner's.
pub(super) fn ancestors(tables: &Tables, owner: UserId, parent: TaskId) -> Result<Vec<TaskId>> {
    let mut chain = Vec::new();
    let mut next = Some(parent);
    while let Some(id) = next.filter(|_| chain.len() <= MAX_DEPTH) {
        let task = tables
            .tasks
            .get(&id)
            .filter(|task| task.owner == owner)
            .ok_or(Error::Placement(PlacementError::UnknownParent))?;
        chain.push(id);
        next = task.parent;
    }
    Ok(chain)
}

/// How many levels the subtree of `id` has, itself included (at most one
/// more than [`MAX_DEPTH`]).
pub(super) fn height(tables: &Tables, id: TaskId) -> usize {
    let mut level = vec![id];
    let mut height = 0;
    while !level.is_empty() && height <= MAX_DEPTH {
        height += 1;
        level = tables
            .tasks
            .values()
            .filter(|task| task.parent.is_some_and(|p| level.contains(&p)))
            .map(|task| task.id)
            .collect();
    }
    height
}

/// The owner's tasks under `parent` other than `except`, in order.
pub(super) fn siblings(
    tables: &Tables,
    owner: UserId,
    parent: Option<TaskId>,
    except: Option<TaskId>,
) -> Vec<(TaskId, Position)> {
    let mut found: Vec<_> = tables
        .tasks
        .values()
        .filter(|task| task.owner == owner && task.parent == parent && Some(task.id) != except)
        .map(|task| (task.id, task.position))
        .collect();
    found.sort_by_key(|&(id, position)| (position, id));
    found
}

/// Checks and applies `placement` to the owner's task `id` (whose
/// precondition held), renumbering siblings where [`place`] says so.
fn apply(
    tables: &mut Tables,
    owner: UserId,
    id: TaskId,
    placement: Placement,
    now: DateTime<Utc>,
) -> Result<()> {
    let task = tables.tasks.get(&id).ok_or(Error::NotFound)?;
    let parent = placement.parent.unwrap_or(task.parent);
    let kept = (parent == task.parent).then_some(task.position);
    if parent != task.parent
        && let Some(parent) = parent
    {
        let chain = ancestors(tables, owner, parent)?;
        check_parent(Some(id), &chain, height(tables, id)).map_err(Error::Placement)?;
    }
    let others = siblings(tables, owner, parent, Some(id));
    let spot = place(placement.slot, kept, &others).map_err(Error::Placement)?;
    for (sibling, position) in spot.renumbered {
        if let Some(sibling) = tables.tasks.get_mut(&sibling) {
            sibling.position = position;
            touch(sibling, now);
        }
    }
    let task = tables.tasks.get_mut(&id).ok_or(Error::NotFound)?;
    task.parent = parent;
    task.position = spot.position;
    Ok(())
}

/// Records a write: one version more, changed now.
pub(super) fn touch(task: &mut Task, now: DateTime<Utc>) -> Task {
    task.version += 1;
    task.updated_at = now;
    task.clone()
}

/// [`TaskRepository::create`] on locked tables.
fn create_in(
    tables: &mut Tables,
    bearer: &Bearer,
    task: NewTask,
    now: DateTime<Utc>,
) -> Result<Option<Task>> {
    if !live(tables, bearer) {
        return Ok(None);
    }
    if let Some(parent) = task.parent {
        let chain = ancestors(tables, bearer.user_id, parent)?;
        check_parent(None, &chain, 1).map_err(Error::Placement)?;
    }
    let last = siblings(tables, bearer.user_id, task.parent, None)
        .last()
        .map(|&(_, position)| position);
    let position =
        Position::after(last).ok_or_else(|| Error::internal("no room after the last task"))?;
    let labels = resolve(tables, bearer.user_id, &task.labels, now)?;
    let id = tables
        .last_task_id
        .checked_add(1)
        .and_then(|next| TaskId::new(next).ok())
        .ok_or_else(|| Error::internal("task ids are exhausted"))?;
    let task = Task {
        id,
        owner: bearer.user_id,
        title: task.title.as_str().to_owned(),
        description: task.description.map(|d| d.as_str().to_owned()),
        completed: task.completed,
        completed_at: Task::completion_time(task.completed, None, now),
        priority: task.priority,
        due: task.due,
        time_zone: task.time_zone,
        parent: task.parent,
        position,
        labels,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    tables.last_task_id = id.get();
    tables.tasks.insert(id, task.clone());
    Ok(Some(task))
}

/// [`TaskRepository::update`] on locked tables.
fn update_in(
    tables: &mut Tables,
    bearer: &Bearer,
    id: TaskId,
    changes: TaskChanges,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<Task> {
    let task = owned_at(tables, bearer, id, precondition)?;
    if changes.is_kept_by(task) {
        return Ok(task.clone());
    }
    if let Some(labels) = &changes.labels {
        check_room(tables, bearer.user_id, labels)?;
    }
    if let Some(placement) = changes.placement {
        apply(tables, bearer.user_id, id, placement, now)?;
    }
    let labels = match &changes.labels {
        Some(labels) => Some(resolve(tables, bearer.user_id, labels, now)?),
        None => None,
    };
    let task = tables.tasks.get_mut(&id).ok_or(Error::NotFound)?;
    if let Some(labels) = labels {
        task.labels = labels;
    }
    if let Some(title) = changes.title {
        task.title = title.as_str().to_owned();
    }
    if let Some(description) = changes.description {
        task.description = description.map(|d| d.as_str().to_owned());
    }
    if let Some(completed) = changes.completed {
        task.completed = completed;
        task.completed_at = Task::completion_time(completed, task.completed_at, now);
    }
    if let Some(priority) = changes.priority {
        task.priority = priority;
    }
    if let Some(due) = changes.due {
        task.due = due;
    }
    if let Some(time_zone) = changes.time_zone {
        task.time_zone = time_zone;
    }
    Ok(touch(task, now))
}

/// [`TaskRepository::toggle`] on locked tables.
fn toggle_in(
    tables: &mut Tables,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<Task> {
    let task = owned_at(tables, bearer, id, precondition)?;
    task.completed = !task.completed;
    task.completed_at = Task::completion_time(task.completed, task.completed_at, now);
    Ok(touch(task, now))
}

/// One op of a batch on locked tables: the task written (`None` for a
/// delete); a bearer that is not live has a create refused as `NotFound`.
fn apply_op(
    tables: &mut Tables,
    bearer: &Bearer,
    op: TaskOp,
    now: DateTime<Utc>,
) -> Result<Option<Task>> {
    match op {
        TaskOp::Create(task) => create_in(tables, bearer, task, now)?
            .map(Some)
            .ok_or(Error::NotFound),
        TaskOp::Update {
            id,
            changes,
            precondition,
        } => update_in(tables, bearer, id, changes, precondition, now).map(Some),
        TaskOp::Toggle { id, precondition } => {
            toggle_in(tables, bearer, id, precondition, now).map(Some)
        }
        TaskOp::Delete { id, precondition } => {
            trash::delete_in(tables, bearer, id, precondition, now).map(|()| None)
        }
    }
}

#[async_trait]
impl TaskRepository for MemoryTasks {
    async fn list(&self, bearer: &Bearer, query: &TaskQuery) -> Result<TaskPage> {
        let tables = self.store.lock();
        let live = live(&tables, bearer);
        let mut found: Vec<&Task> = tables
            .tasks
            .values()
            .filter(|task| live && task.owner == bearer.user_id && query.matches(task))
            .collect();
        found.sort_by(|a, b| query.order(a, b));
        let total = u64::try_from(found.len()).map_err(Error::internal)?;
        let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(query.limit.get()).unwrap_or(usize::MAX);
        let tasks = found
            .into_iter()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect();
        let latest = live.then(|| head_of(&tables, bearer.user_id));
        Ok(TaskPage {
            tasks,
            total,
            latest,
        })
    }

    async fn create(
        &self,
        bearer: &Bearer,
        task: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>> {
        recorded(&mut self.store.lock(), bearer, now, |tables| {
            create_in(tables, bearer, task, now)
        })
    }

    async fn get(&self, bearer: &Bearer, id: TaskId) -> Result<Option<Task>> {
        let tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(None);
        }
        let task = tables
            .tasks
            .get(&id)
            .filter(|task| task.owner == bearer.user_id);
        Ok(task.cloned())
    }

    async fn update(
        &self,
        bearer: &Bearer,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        recorded(&mut self.store.lock(), bearer, now, |tables| {
            update_in(tables, bearer, id, changes, precondition, now)
        })
    }

    async fn toggle(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        recorded(&mut self.store.lock(), bearer, now, |tables| {
            toggle_in(tables, bearer, id, precondition, now)
        })
    }

    async fn delete(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<()> {
        recorded(&mut self.store.lock(), bearer, now, |tables| {
            trash::delete_in(tables, bearer, id, precondition, now)
        })
    }

    async fn trash(&self, bearer: &Bearer, query: &TrashQuery) -> Result<TrashPage> {
        trash::page(&self.store.lock(), bearer, query)
    }

    async fn stored(
        &self,
        bearer: &Bearer,
        after: Option<StoredKey>,
        limit: PageLimit,
    ) -> Result<Vec<StoredTask>> {
        Ok(trash::stored(&self.store.lock(), bearer, after, limit))
    }

    async fn restore(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        recorded(&mut self.store.lock(), bearer, now, |tables| {
            trash::restore_in(tables, bearer, id, precondition, now)
        })
    }

    async fn purge(&self, bearer: &Bearer, id: TaskId, now: DateTime<Utc>) -> Result<()> {
        recorded(&mut self.store.lock(), bearer, now, |tables| {
            trash::purge_in(tables, bearer, id)
        })
    }

    async fn purge_deleted_before(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        trash::purge_deleted_before(&mut self.store.lock(), before, now)
    }

    async fn apply_all(
        &self,
        bearer: &Bearer,
        ops: Vec<TaskOp>,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Vec<Option<Task>>, BatchRefusal>> {
        let mut tables = self.store.lock();
        let before = tables.clone();
        let mut written = Vec::with_capacity(ops.len());
        for (index, op) in ops.into_iter().enumerate() {
            let applied = recorded(&mut tables, bearer, now, |tables| {
                apply_op(tables, bearer, op, now)
            });
            match applied {
                Ok(task) => written.push(task),
                Err(error) => {
                    *tables = before;
                    return Ok(Err(BatchRefusal { index, error }));
                }
            }
        }
        Ok(Ok(written))
    }
}
