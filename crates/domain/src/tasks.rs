//! A user's tasks. Ownership lives here: every call names the acting user
//! and the owner the caller addressed, and a mismatch is `NotFound`.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ports::{Clock, TaskRepository};
use crate::task::{NewTask, Precondition, Task, TaskChanges, TaskId, TaskPage, TaskQuery};
use crate::user::UserId;

/// The task rules.
pub struct TaskService {
    tasks: Arc<dyn TaskRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TaskService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskService").finish_non_exhaustive()
    }
}

/// Only the owner may address their tasks; anyone else gets `NotFound`.
fn owned(actor: UserId, owner: UserId) -> Result<UserId> {
    if actor == owner {
        Ok(owner)
    } else {
        Err(Error::NotFound)
    }
}

impl TaskService {
    /// Wires the service to its ports.
    pub fn new(tasks: Arc<dyn TaskRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { tasks, clock }
    }

    /// Checks that `actor` may address `owner`'s tasks at all, so that a
    /// caller can refuse a foreign path before looking at the request body.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `actor` is not `owner`.
    pub fn authorize(&self, actor: UserId, owner: UserId) -> Result<()> {
        owned(actor, owner).map(|_| ())
    }

    /// One page of the owner's tasks.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `actor` is not `owner`.
    pub async fn list(&self, actor: UserId, owner: UserId, query: &TaskQuery) -> Result<TaskPage> {
        self.tasks.list(owned(actor, owner)?, query).await
    }

    /// Creates a task for the owner.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `actor` is not `owner`.
    pub async fn create(&self, actor: UserId, owner: UserId, task: NewTask) -> Result<Task> {
        self.tasks
            .create(owned(actor, owner)?, task, self.clock.now())
            .await
    }

    /// One of the owner's tasks.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `actor` is not `owner` or the owner has no such task.
    pub async fn get(&self, actor: UserId, owner: UserId, id: TaskId) -> Result<Task> {
        self.tasks
            .get(owned(actor, owner)?, id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Applies `changes`. Empty changes write nothing and keep the version,
    /// but the precondition is still checked.
    ///
    /// # Errors
    /// [`Error::NotFound`] as for [`TaskService::get`];
    /// [`Error::PreconditionFailed`] when the task is at another version.
    pub async fn update(
        &self,
        actor: UserId,
        owner: UserId,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
    ) -> Result<Task> {
        let owner = owned(actor, owner)?;
        if changes.is_empty() {
            let task = self.tasks.get(owner, id).await?.ok_or(Error::NotFound)?;
            return match precondition {
                Precondition::Version(expected) if expected != task.version => {
                    Err(Error::PreconditionFailed)
                }
                _ => Ok(task),
            };
        }
        self.tasks
            .update(owner, id, changes, precondition, self.clock.now())
            .await
    }

    /// Sets `completed`, or flips it when `completed` is `None`.
    ///
    /// # Errors
    /// As [`TaskService::update`].
    pub async fn set_completion(
        &self,
        actor: UserId,
        owner: UserId,
        id: TaskId,
        completed: Option<bool>,
        precondition: Precondition,
    ) -> Result<Task> {
        let owner = owned(actor, owner)?;
        let now = self.clock.now();
        match completed {
            Some(completed) => {
                let changes = TaskChanges {
                    completed: Some(completed),
                    ..TaskChanges::default()
                };
                self.tasks
                    .update(owner, id, changes, precondition, now)
                    .await
            }
            None => self.tasks.toggle(owner, id, precondition, now).await,
        }
    }

    /// Deletes one of the owner's tasks.
    ///
    /// # Errors
    /// As [`TaskService::update`].
    pub async fn delete(
        &self,
        actor: UserId,
        owner: UserId,
        id: TaskId,
        precondition: Precondition,
    ) -> Result<()> {
        self.tasks
            .delete(owned(actor, owner)?, id, precondition)
            .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mockall::predicate::{always, eq};

    use super::*;
    use crate::ports::{MockClock, MockTaskRepository};
    use crate::task::Title;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .expect("valid time")
    }

    fn clock() -> Arc<MockClock> {
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        Arc::new(clock)
    }

    fn task(owner: UserId, version: i64) -> Task {
        Task {
            id: TaskId::new(7).expect("positive"),
            owner,
            title: "Write".into(),
            description: None,
            completed: false,
            version,
            created_at: at(),
            updated_at: at(),
        }
    }

    fn id() -> TaskId {
        TaskId::new(7).expect("positive")
    }

    fn service(repo: MockTaskRepository) -> TaskService {
        TaskService::new(Arc::new(repo), clock())
    }

    #[tokio::test]
    async fn another_users_tasks_are_not_found_without_touching_storage() {
        let service = service(MockTaskRepository::new());
        let (actor, owner) = (UserId::new_random(), UserId::new_random());
        let new = NewTask {
            title: Title::parse("x").expect("valid"),
            description: None,
            completed: false,
        };

        assert!(matches!(
            service.list(actor, owner, &TaskQuery::default()).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service.create(actor, owner, new).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service.get(actor, owner, id()).await,
            Err(Error::NotFound)
        ));
        let changes = TaskChanges {
            completed: Some(true),
            ..TaskChanges::default()
        };
        assert!(matches!(
            service
                .update(actor, owner, id(), changes, Precondition::None)
                .await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service
                .set_completion(actor, owner, id(), None, Precondition::None)
                .await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service.delete(actor, owner, id(), Precondition::None).await,
            Err(Error::NotFound)
        ));
    }

    #[test]
    fn only_the_owner_is_authorized() {
        let service = service(MockTaskRepository::new());
        let (actor, owner) = (UserId::new_random(), UserId::new_random());

        assert!(matches!(
            service.authorize(actor, owner),
            Err(Error::NotFound)
        ));
        assert!(service.authorize(owner, owner).is_ok());
    }

    #[tokio::test]
    async fn repository_calls_are_scoped_to_the_owner() {
        let owner = UserId::new_random();
        let mut repo = MockTaskRepository::new();
        repo.expect_get()
            .with(eq(owner), eq(id()))
            .times(1)
            .returning(move |o, _| Ok(Some(task(o, 1))));
        let service = service(repo);

        let got = service.get(owner, owner, id()).await.expect("found");

        assert_eq!(got.owner, owner);
    }

    #[tokio::test]
    async fn a_missing_task_is_not_found() {
        let owner = UserId::new_random();
        let mut repo = MockTaskRepository::new();
        repo.expect_get().returning(|_, _| Ok(None));

        assert!(matches!(
            service(repo).get(owner, owner, id()).await,
            Err(Error::NotFound)
        ));
    }

    #[tokio::test]
    async fn empty_changes_write_nothing() {
        let owner = UserId::new_random();
        let mut repo = MockTaskRepository::new();
        repo.expect_get()
            .returning(move |o, _| Ok(Some(task(o, 3))));
        repo.expect_update().never();

        let got = service(repo)
            .update(
                owner,
                owner,
                id(),
                TaskChanges::default(),
                Precondition::None,
            )
            .await;

        assert_eq!(got.expect("unchanged").version, 3);
    }

    #[tokio::test]
    async fn empty_changes_still_check_the_precondition() {
        let owner = UserId::new_random();
        let mut repo = MockTaskRepository::new();
        repo.expect_get()
            .returning(move |o, _| Ok(Some(task(o, 3))));
        let service = service(repo);

        let stale = service
            .update(
                owner,
                owner,
                id(),
                TaskChanges::default(),
                Precondition::Version(2),
            )
            .await;
        let fresh = service
            .update(
                owner,
                owner,
                id(),
                TaskChanges::default(),
                Precondition::Version(3),
            )
            .await;

        assert!(matches!(stale, Err(Error::PreconditionFailed)));
        assert!(fresh.is_ok());
    }

    #[tokio::test]
    async fn changes_pass_the_precondition_and_clock_to_storage() {
        let owner = UserId::new_random();
        let changes = TaskChanges {
            completed: Some(true),
            ..TaskChanges::default()
        };
        let mut repo = MockTaskRepository::new();
        repo.expect_update()
            .with(
                eq(owner),
                eq(id()),
                eq(changes.clone()),
                eq(Precondition::Version(4)),
                eq(at()),
            )
            .times(1)
            .returning(move |o, _, _, _, _| Ok(task(o, 5)));

        let got = service(repo)
            .update(owner, owner, id(), changes, Precondition::Version(4))
            .await;

        assert_eq!(got.expect("updated").version, 5);
    }

    #[tokio::test]
    async fn completion_without_a_value_toggles() {
        let owner = UserId::new_random();
        let mut repo = MockTaskRepository::new();
        repo.expect_toggle()
            .times(1)
            .returning(move |o, _, _, _| Ok(task(o, 2)));
        repo.expect_update().never();

        assert!(
            service(repo)
                .set_completion(owner, owner, id(), None, Precondition::None)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn completion_with_a_value_sets_it() {
        let owner = UserId::new_random();
        let expected = TaskChanges {
            completed: Some(false),
            ..TaskChanges::default()
        };
        let mut repo = MockTaskRepository::new();
        repo.expect_update()
            .with(eq(owner), eq(id()), eq(expected), always(), always())
            .times(1)
            .returning(move |o, _, _, _, _| Ok(task(o, 2)));
        repo.expect_toggle().never();

        assert!(
            service(repo)
                .set_completion(owner, owner, id(), Some(false), Precondition::None)
                .await
                .is_ok()
        );
    }
}
