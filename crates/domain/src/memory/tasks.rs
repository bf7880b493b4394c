//! Tasks in memory, always filtered by the owner.

use std::cmp::Ordering;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, Tables};
use crate::error::{Error, Result};
use crate::ports::TaskRepository;
use crate::task::{
    NewTask, Precondition, SortField, Task, TaskChanges, TaskId, TaskPage, TaskQuery,
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

/// Whether `task` passes the query's filters (the owner is checked apart).
fn matches(query: &TaskQuery, task: &Task) -> bool {
    let completion = query.completed.is_none_or(|c| task.completed == c);
    let search = match query.search.as_deref().filter(|s| !s.is_empty()) {
        None => true,
        Some(search) => {
            let needle = fold(search);
            let found = |text: &str| fold(text).contains(&needle);
            found(&task.title) || task.description.as_deref().is_some_and(found)
        }
    };
    completion && search
}

/// Lower-cases character by character, as SQL's `lower()` does (no
/// context: a final `Σ` becomes `σ`, as anywhere else).
fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// The listing order: the sort field, then the id, in one direction.
fn order(query: &TaskQuery, a: &Task, b: &Task) -> Ordering {
    let by_field = match query.sort.field {
        SortField::CreatedAt => a.created_at.cmp(&b.created_at),
        SortField::UpdatedAt => a.updated_at.cmp(&b.updated_at),
        SortField::Title => a.title.cmp(&b.title),
        SortField::Id => Ordering::Equal,
    };
    let ascending = by_field.then(a.id.cmp(&b.id));
    if query.sort.descending {
        ascending.reverse()
    } else {
        ascending
    }
}

/// The owner's task `id`, if its version satisfies `precondition`:
/// `NotFound` when the owner has no such task, `PreconditionFailed` when
/// it is at another version.
fn owned_at(
    tables: &mut Tables,
    owner: UserId,
    id: TaskId,
    precondition: Precondition,
) -> Result<&mut Task> {
    let task = tables
        .tasks
        .get_mut(&id)
        .filter(|task| task.owner == owner)
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
    async fn list(&self, owner: UserId, query: &TaskQuery) -> Result<TaskPage> {
        let tables = self.store.lock();
        let mut found: Vec<&Task> = tables
            .tasks
            .values()
            .filter(|task| task.owner == owner && matches(query, task))
            .collect();
        found.sort_by(|a, b| order(query, a, b));
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

    async fn create(&self, owner: UserId, task: NewTask, now: DateTime<Utc>) -> Result<Task> {
        let mut tables = self.store.lock();
        let id = tables
            .last_task_id
            .checked_add(1)
            .and_then(|next| TaskId::new(next).ok())
            .ok_or_else(|| Error::internal("task ids are exhausted"))?;
        let task = Task {
            id,
            owner,
            title: task.title.as_str().to_owned(),
            description: task.description.map(|d| d.as_str().to_owned()),
            completed: task.completed,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tables.last_task_id = id.get();
        tables.tasks.insert(id, task.clone());
        Ok(task)
    }

    async fn get(&self, owner: UserId, id: TaskId) -> Result<Option<Task>> {
        let tables = self.store.lock();
        let task = tables.tasks.get(&id).filter(|task| task.owner == owner);
        Ok(task.cloned())
    }

    async fn update(
        &self,
        owner: UserId,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let mut tables = self.store.lock();
        let task = owned_at(&mut tables, owner, id, precondition)?;
        if let Some(title) = changes.title {
            task.title = title.as_str().to_owned();
        }
        if let Some(description) = changes.description {
            task.description = description.map(|d| d.as_str().to_owned());
        }
        if let Some(completed) = changes.completed {
            task.completed = completed;
        }
        Ok(touch(task, now))
    }

    async fn toggle(
        &self,
        owner: UserId,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let mut tables = self.store.lock();
        let task = owned_at(&mut tables, owner, id, precondition)?;
        task.completed = !task.completed;
        Ok(touch(task, now))
    }

    async fn delete(&self, owner: UserId, id: TaskId, precondition: Precondition) -> Result<()> {
        let mut tables = self.store.lock();
        owned_at(&mut tables, owner, id, precondition)?;
        tables.tasks.remove(&id);
        Ok(())
    }
}
