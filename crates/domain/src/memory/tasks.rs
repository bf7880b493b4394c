//! Tasks in memory, always filtered by the bearer, who must be live.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::users::token_subject;
use super::{MemoryStore, Tables};
use crate::bearer::Bearer;
use crate::error::{Error, Result};
use crate::ports::TaskRepository;
use crate::task::{NewTask, Precondition, Task, TaskChanges, TaskId, TaskPage, TaskQuery};

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
fn live(tables: &Tables, bearer: &Bearer) -> bool {
    let subject = token_subject(tables, bearer.user_id, bearer.session_id);
    bearer.admit(subject).is_ok()
}

/// The bearer's task `id`, if its version satisfies `precondition`:
/// `NotFound` when the bearer has no such task (or is not live),
/// `PreconditionFailed` when it is at another version.
fn owned_at<'t>(
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

/// Records a write: one version more, changed now.
fn touch(task: &mut Task, now: DateTime<Utc>) -> Task {
    task.version += 1;
    task.updated_at = now;
    task.clone()
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
        Ok(TaskPage { tasks, total })
    }

    async fn create(
        &self,
        bearer: &Bearer,
        task: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>> {
        let mut tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(None);
        }
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
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tables.last_task_id = id.get();
        tables.tasks.insert(id, task.clone());
        Ok(Some(task))
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
        let mut tables = self.store.lock();
        let task = owned_at(&mut tables, bearer, id, precondition)?;
        if changes.is_kept_by(task) {
            return Ok(task.clone());
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

    async fn toggle(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let mut tables = self.store.lock();
        let task = owned_at(&mut tables, bearer, id, precondition)?;
        task.completed = !task.completed;
        task.completed_at = Task::completion_time(task.completed, task.completed_at, now);
        Ok(touch(task, now))
    }

    async fn delete(&self, bearer: &Bearer, id: TaskId, precondition: Precondition) -> Result<()> {
        let mut tables = self.store.lock();
        owned_at(&mut tables, bearer, id, precondition)?;
        tables.tasks.remove(&id);
        Ok(())
    }
}
