//! A user's tasks. Ownership and the order of refusals live here: a request
//! first opens the addressed owner's tasks with [`TaskService::for_owner`],
//! which refuses another user's (`NotFound`) or a bearer that is no longer
//! live (`Unauthorized`, which always comes first); every operation of the
//! [`OwnerTasks`] it returns then acts for that bearer alone, on the
//! owner's tasks and on their labels (`labels`).

use std::sync::Arc;

use chrono::Duration;

use crate::bearer::Bearer;
use crate::changes::ChangeFeed;
use crate::error::{Error, Result};
use crate::ports::{Clock, LabelRepository, TaskRepository, UserRepository};
use crate::task::{
    NewTask, Precondition, Task, TaskChanges, TaskId, TaskPage, TaskQuery, TrashPage, TrashQuery,
};
use crate::user::UserId;

pub use export::ExportHead;
pub use purge::TrashPurge;

/// The task rules.
#[derive(Clone)]
pub struct TaskService {
    tasks: Arc<dyn TaskRepository>,
    labels: Arc<dyn LabelRepository>,
    users: Arc<dyn UserRepository>,
    changes: Arc<dyn ChangeFeed>,
    clock: Arc<dyn Clock>,
    sync_retention: Duration,
}

impl std::fmt::Debug for TaskService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskService").finish_non_exhaustive()
    }
}

impl TaskService {
    /// Wires the service to its ports. A sync cursor whose run began
    /// longer than `sync_retention` ago is refused as expired (the change
    /// log forgets what is older).
    pub fn new(
        tasks: Arc<dyn TaskRepository>,
        labels: Arc<dyn LabelRepository>,
        users: Arc<dyn UserRepository>,
        changes: Arc<dyn ChangeFeed>,
        clock: Arc<dyn Clock>,
        sync_retention: Duration,
    ) -> Self {
        Self {
            tasks,
            labels,
            users,
            changes,
            clock,
            sync_retention,
        }
    }

    /// The tasks of `owner`, the user a request addresses (`None` when it
    /// names no user at all, such as a malformed id), for `bearer`.
    ///
    /// # Errors
    /// [`Error::NotFound`] unless `owner` is the bearer's own user;
    /// [`Error::Unauthorized`] instead when the bearer is not live.
    pub async fn for_owner(&self, bearer: Bearer, owner: Option<UserId>) -> Result<OwnerTasks> {
        if owner != Some(bearer.user_id) {
            self.ensure_live(&bearer).await?;
            return Err(Error::NotFound);
        }
        Ok(OwnerTasks {
            service: self.clone(),
            bearer,
        })
    }

    /// Forgets every user's changes older than the sync retention (their
    /// cursors have expired); answers how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn forget_old_changes(&self) -> Result<u64> {
        let before = self.clock.now() - self.sync_retention;
        self.changes.forget_before(before).await
    }

    /// Whether storage still vouches for `bearer` (see [`Bearer::admit`]).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer's user is gone or inactive,
    /// its password changed or its session ended;
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn ensure_live(&self, bearer: &Bearer) -> Result<()> {
        let subject = self
            .users
            .find_token_subject(bearer.user_id, bearer.credential)
            .await?;
        bearer.admit(subject).map(|_| ())
    }
}

/// One owner's tasks, opened for a bearer who is that owner. Storage acts
/// only while the bearer is live; when it finds or changes nothing, the
/// bearer is checked, so that a revoked token is told `Unauthorized`
/// rather than `NotFound` or `PreconditionFailed`.
#[derive(Clone)]
pub struct OwnerTasks {
    service: TaskService,
    bearer: Bearer,
}

impl std::fmt::Debug for OwnerTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerTasks")
            .field("owner", &self.bearer.user_id)
            .finish_non_exhaustive()
    }
}

impl OwnerTasks {
    /// The owner (the bearer's user).
    pub fn owner(&self) -> UserId {
        self.bearer.user_id
    }

    /// Whether storage still vouches for the bearer.
    ///
    /// # Errors
    /// As [`TaskService::ensure_live`].
    pub async fn ensure_live(&self) -> Result<()> {
        self.service.ensure_live(&self.bearer).await
    }

    /// The request's parsed input, or why it is refused: its own error,
    /// unless the bearer is not live, which is refused first.
    ///
    /// # Errors
    /// `input`'s error, or [`Error::Unauthorized`] converted into `E`.
    pub async fn accept<T, E: From<Error>>(
        &self,
        input: std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match input {
            Ok(value) => Ok(value),
            Err(refusal) => Err(self.unless_revoked(refusal).await),
        }
    }

    /// `refusal`, unless the bearer is not live: then `Unauthorized`.
    async fn unless_revoked<E: From<Error>>(&self, refusal: E) -> E {
        match self.ensure_live().await {
            Ok(()) => refusal,
            Err(unauthorized) => E::from(unauthorized),
        }
    }

    /// `query` as of now (what `overdue` is measured against).
    fn listing(&self, query: &TaskQuery) -> TaskQuery {
        TaskQuery {
            now: self.service.clock.now(),
            ..query.clone()
        }
    }

    /// One page of the tasks.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer is not live;
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn list(&self, query: &TaskQuery) -> Result<TaskPage> {
        let query = self.listing(query);
        let page = self.service.tasks.list(&self.bearer, &query).await?;
        if page.total == 0 {
            self.ensure_live().await?;
        }
        Ok(page)
    }

    /// Creates a task.
    ///
    /// # Errors
    /// As [`OwnerTasks::list`].
    pub async fn create(&self, task: NewTask) -> Result<Task> {
        let now = self.service.clock.now();
        match self.service.tasks.create(&self.bearer, task, now).await? {
            Some(task) => Ok(task),
            None => {
                self.ensure_live().await?;
                Err(Error::internal("a live bearer's task was not stored"))
            }
        }
    }

    /// One task.
    ///
    /// # Errors
    /// As [`OwnerTasks::list`], and [`Error::NotFound`] when the owner has
    /// no such task.
    pub async fn get(&self, id: TaskId) -> Result<Task> {
        match self.service.tasks.get(&self.bearer, id).await? {
            Some(task) => Ok(task),
            None => Err(self.unless_revoked(Error::NotFound).await),
        }
    }

    /// Applies `changes`. Empty changes write nothing and keep the version,
    /// but the precondition is still checked.
    ///
    /// # Errors
    /// As [`OwnerTasks::get`];
    /// [`Error::PreconditionFailed`] when the task is at another version.
    pub async fn update(
        &self,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
    ) -> Result<Task> {
        if changes.is_empty() {
            let task = self.get(id).await?;
            return match precondition {
                Precondition::Version(expected) if expected != task.version => {
                    Err(Error::PreconditionFailed)
                }
                _ => Ok(task),
            };
        }
        let now = self.service.clock.now();
        let written = self
            .service
            .tasks
            .update(&self.bearer, id, changes, precondition, now)
            .await;
        self.explain_miss(written).await
    }

    /// Sets `completed`, or flips it when `completed` is `None`.
    ///
    /// # Errors
    /// As [`OwnerTasks::update`].
    pub async fn set_completion(
        &self,
        id: TaskId,
        completed: Option<bool>,
        precondition: Precondition,
    ) -> Result<Task> {
        let now = self.service.clock.now();
        let tasks = &self.service.tasks;
        let written = match completed {
            Some(completed) => {
                let changes = TaskChanges {
                    completed: Some(completed),
                    ..TaskChanges::default()
                };
                tasks
                    .update(&self.bearer, id, changes, precondition, now)
                    .await
            }
            None => tasks.toggle(&self.bearer, id, precondition, now).await,
        };
        self.explain_miss(written).await
    }

    /// Deletes a task: it goes to the trash with its subtasks.
    ///
    /// # Errors
    /// As [`OwnerTasks::update`].
    pub async fn delete(&self, id: TaskId, precondition: Precondition) -> Result<()> {
        let now = self.service.clock.now();
        let deleted = self
            .service
            .tasks
            .delete(&self.bearer, id, precondition, now)
            .await;
        self.explain_miss(deleted).await
    }

    /// One page of the trash.
    ///
    /// # Errors
    /// As [`OwnerTasks::list`].
    pub async fn trash(&self, query: &TrashQuery) -> Result<TrashPage> {
        let page = self.service.tasks.trash(&self.bearer, query).await?;
        if page.total == 0 {
            self.ensure_live().await?;
        }
        Ok(page)
    }

    /// Brings a deleted task back from the trash, with the subtasks
    /// deleted with it.
    ///
    /// # Errors
    /// As [`OwnerTasks::update`], [`Error::NotFound`] meaning that the trash
    /// has no such task.
    pub async fn restore(&self, id: TaskId, precondition: Precondition) -> Result<Task> {
        let now = self.service.clock.now();
        let restored = self
            .service
            .tasks
            .restore(&self.bearer, id, precondition, now)
            .await;
        self.explain_miss(restored).await
    }

    /// Erases a deleted task from the trash, for good.
    ///
    /// # Errors
    /// As [`OwnerTasks::get`], [`Error::NotFound`] meaning that the trash
    /// has no such task.
    pub async fn purge(&self, id: TaskId) -> Result<()> {
        let now = self.service.clock.now();
        let purged = self.service.tasks.purge(&self.bearer, id, now).await;
        self.explain_miss(purged).await
    }

    /// A write that matched no row: `NotFound` or `PreconditionFailed`,
    /// unless the bearer was the reason.
    async fn explain_miss<T>(&self, written: Result<T>) -> Result<T> {
        match written {
            Err(err @ (Error::NotFound | Error::PreconditionFailed)) => {
                Err(self.unless_revoked(err).await)
            }
            other => other,
        }
    }
}

mod batch;
mod export;
mod labels;
mod purge;
mod sync;
#[cfg(test)]
mod tests;
