//! A user's tasks. Ownership lives here: every call names the request's
//! [`Bearer`] and the owner the caller addressed, and a mismatch is
//! `NotFound`. Storage checks that the bearer is still live in the same
//! statement as the work; when that statement finds or changes nothing,
//! the service asks why, so that a revoked token is told `Unauthorized`
//! rather than `NotFound`.

use std::sync::Arc;

use crate::bearer::Bearer;
use crate::error::{Error, Result};
use crate::ports::{Clock, TaskRepository, UserRepository};
use crate::task::{
    ChangedTask, NewTask, Precondition, Task, TaskChanges, TaskId, TaskPage, TaskQuery, TasksStamp,
};
use crate::user::UserId;

/// The task rules.
pub struct TaskService {
    tasks: Arc<dyn TaskRepository>,
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TaskService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskService").finish_non_exhaustive()
    }
}

impl TaskService {
    /// Wires the service to its ports.
    pub fn new(
        tasks: Arc<dyn TaskRepository>,
        users: Arc<dyn UserRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            tasks,
            users,
            clock,
        }
    }

    /// Whether storage still vouches for `bearer`.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer's user is gone or inactive,
    /// its password changed or its session ended;
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn confirm(&self, bearer: &Bearer) -> Result<()> {
        let subject = self
            .users
            .find_token_subject(bearer.user_id, bearer.session_id)
            .await?;
        bearer.admit(subject).map(|_| ())
    }

    /// `err`, unless the bearer turns out not to be live: then
    /// `Unauthorized`, as if the token had been checked first.
    async fn unless_revoked(&self, bearer: &Bearer, err: Error) -> Error {
        match self.confirm(bearer).await {
            Ok(()) => err,
            Err(refusal) => refusal,
        }
    }

    /// Checks that `bearer` may address `owner`'s tasks at all, so that a
    /// caller can refuse a foreign path before looking at the request body.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `bearer` is not `owner`;
    /// [`Error::Unauthorized`] instead when the bearer is not live.
    pub async fn authorize(&self, bearer: &Bearer, owner: UserId) -> Result<()> {
        if bearer.user_id == owner {
            Ok(())
        } else {
            Err(self.unless_revoked(bearer, Error::NotFound).await)
        }
    }

    /// One page of the owner's tasks.
    ///
    /// # Errors
    /// As [`TaskService::authorize`].
    pub async fn list(
        &self,
        bearer: &Bearer,
        owner: UserId,
        query: &TaskQuery,
    ) -> Result<TaskPage> {
        self.authorize(bearer, owner).await?;
        let page = self.tasks.list(bearer, query).await?;
        if page.total == 0 {
            self.confirm(bearer).await?;
        }
        Ok(page)
    }

    /// The owner's [`TasksStamp`] while `bearer` is live and is the owner;
    /// `None` otherwise, or where storage keeps no stamps. A page that
    /// [`TaskService::list`] returned with the same stamp is still current.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn stamp(&self, bearer: &Bearer, owner: UserId) -> Result<Option<TasksStamp>> {
        if bearer.user_id != owner {
            return Ok(None);
        }
        self.tasks.stamp(bearer).await
    }

    /// Creates a task for the owner.
    ///
    /// # Errors
    /// As [`TaskService::authorize`].
    pub async fn create(&self, bearer: &Bearer, owner: UserId, task: NewTask) -> Result<Task> {
        self.authorize(bearer, owner).await?;
        match self.tasks.create(bearer, task, self.clock.now()).await? {
            Some(task) => Ok(task),
            None => {
                self.confirm(bearer).await?;
                Err(Error::internal("a live bearer's task was not stored"))
            }
        }
    }

    /// One of the owner's tasks.
    ///
    /// # Errors
    /// As [`TaskService::authorize`], and [`Error::NotFound`] when the owner
    /// has no such task.
    pub async fn get(&self, bearer: &Bearer, owner: UserId, id: TaskId) -> Result<Task> {
        self.authorize(bearer, owner).await?;
        match self.tasks.get(bearer, id).await? {
            Some(task) => Ok(task),
            None => Err(self.unless_revoked(bearer, Error::NotFound).await),
        }
    }

    /// Applies `changes`. Empty changes write nothing and keep the version
    /// (and report no stamp change), but the precondition is still checked.
    ///
    /// # Errors
    /// As [`TaskService::get`];
    /// [`Error::PreconditionFailed`] when the task is at another version.
    pub async fn update(
        &self,
        bearer: &Bearer,
        owner: UserId,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
    ) -> Result<ChangedTask> {
        if changes.is_empty() {
            let task = self.get(bearer, owner, id).await?;
            return match precondition {
                Precondition::Version(expected) if expected != task.version => {
                    Err(Error::PreconditionFailed)
                }
                _ => Ok(ChangedTask {
                    task,
                    stamp_change: None,
                }),
            };
        }
        self.authorize(bearer, owner).await?;
        let written = self
            .tasks
            .update(bearer, id, changes, precondition, self.clock.now())
            .await;
        self.explain_miss(bearer, written).await
    }

    /// Sets `completed`, or flips it when `completed` is `None`.
    ///
    /// # Errors
    /// As [`TaskService::update`].
    pub async fn set_completion(
        &self,
        bearer: &Bearer,
        owner: UserId,
        id: TaskId,
        completed: Option<bool>,
        precondition: Precondition,
    ) -> Result<ChangedTask> {
        self.authorize(bearer, owner).await?;
        let now = self.clock.now();
        let written = match completed {
            Some(completed) => {
                let changes = TaskChanges {
                    completed: Some(completed),
                    ..TaskChanges::default()
                };
                self.tasks
                    .update(bearer, id, changes, precondition, now)
                    .await
            }
            None => self.tasks.toggle(bearer, id, precondition, now).await,
        };
        self.explain_miss(bearer, written).await
    }

    /// Deletes one of the owner's tasks.
    ///
    /// # Errors
    /// As [`TaskService::update`].
    pub async fn delete(
        &self,
        bearer: &Bearer,
        owner: UserId,
        id: TaskId,
        precondition: Precondition,
    ) -> Result<()> {
        self.authorize(bearer, owner).await?;
        let deleted = self.tasks.delete(bearer, id, precondition).await;
        self.explain_miss(bearer, deleted).await
    }

    /// A write that matched no row: `NotFound` or `PreconditionFailed`,
    /// unless the bearer was the reason.
    async fn explain_miss<T>(&self, bearer: &Bearer, written: Result<T>) -> Result<T> {
        match written {
            Err(err @ (Error::NotFound | Error::PreconditionFailed)) => {
                Err(self.unless_revoked(bearer, err).await)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mockall::predicate::{always, eq};

    use super::*;
    use crate::error::TokenRejection;
    use crate::ports::{MockClock, MockTaskRepository, MockUserRepository, TokenSubject};
    use crate::task::StampChange;
    use crate::task::Title;
    use crate::user::{Email, User, UserName};

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

    fn bearer() -> Bearer {
        Bearer {
            user_id: UserId::new_random(),
            session_id: None,
            token_version: 2,
        }
    }

    fn task(owner: UserId, version: i64) -> Task {
        Task {
            id: id(),
            owner,
            title: "Write".into(),
            description: None,
            completed: false,
            version,
            created_at: at(),
            updated_at: at(),
        }
    }

    /// `task(owner, version)` as a write that moved the stamp by 9 left it.
    fn changed(owner: UserId, version: i64) -> ChangedTask {
        ChangedTask {
            task: task(owner, version),
            stamp_change: Some(StampChange(9)),
        }
    }

    fn id() -> TaskId {
        TaskId::new(7).expect("positive")
    }

    fn new_task() -> NewTask {
        NewTask {
            title: Title::parse("x").expect("valid"),
            description: None,
            completed: false,
        }
    }

    /// Users storage that finds the bearer's user at `version`.
    fn users_at_version(bearer: &Bearer, version: i64) -> MockUserRepository {
        let user = User {
            id: bearer.user_id,
            email: Email::parse("ada@example.com").expect("valid"),
            name: UserName::parse("Ada").expect("valid"),
            is_active: true,
            created_at: at(),
            updated_at: at(),
        };
        let mut users = MockUserRepository::new();
        users
            .expect_find_token_subject()
            .with(eq(bearer.user_id), eq(bearer.session_id))
            .returning(move |_, _| {
                Ok(Some(TokenSubject {
                    user: user.clone(),
                    token_version: version,
                    session_live: true,
                }))
            });
        users
    }

    fn live(bearer: &Bearer) -> MockUserRepository {
        users_at_version(bearer, bearer.token_version)
    }

    /// The password changed since the bearer's token was issued.
    fn revoked(bearer: &Bearer) -> MockUserRepository {
        users_at_version(bearer, bearer.token_version + 1)
    }

    /// Users storage that must not be asked: the task statement vouched.
    fn not_asked() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users.expect_find_token_subject().never();
        users
    }

    fn service(repo: MockTaskRepository, users: MockUserRepository) -> TaskService {
        TaskService::new(Arc::new(repo), Arc::new(users), clock())
    }

    fn is_revoked<T: std::fmt::Debug>(result: &Result<T>) -> bool {
        matches!(result, Err(Error::Unauthorized(TokenRejection::Revoked)))
    }

    #[tokio::test]
    async fn another_users_tasks_are_not_found_without_touching_task_storage() {
        let bearer = bearer();
        let service = service(MockTaskRepository::new(), live(&bearer));
        let owner = UserId::new_random();
        let changes = TaskChanges {
            completed: Some(true),
            ..TaskChanges::default()
        };

        assert!(matches!(
            service.list(&bearer, owner, &TaskQuery::default()).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service.create(&bearer, owner, new_task()).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service.get(&bearer, owner, id()).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service
                .update(&bearer, owner, id(), changes, Precondition::None)
                .await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service
                .set_completion(&bearer, owner, id(), None, Precondition::None)
                .await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            service
                .delete(&bearer, owner, id(), Precondition::None)
                .await,
            Err(Error::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_revoked_bearer_addressing_another_user_is_unauthorized() {
        let bearer = bearer();
        let service = service(MockTaskRepository::new(), revoked(&bearer));

        let answer = service.authorize(&bearer, UserId::new_random()).await;

        assert!(is_revoked(&answer), "{answer:?}");
    }

    #[tokio::test]
    async fn a_found_task_needs_no_second_look() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_get()
            .with(eq(bearer), eq(id()))
            .times(1)
            .returning(|b, _| Ok(Some(task(b.user_id, 1))));

        let got = service(repo, not_asked())
            .get(&bearer, bearer.user_id, id())
            .await
            .expect("found");

        assert_eq!(got.owner, bearer.user_id);
    }

    #[tokio::test]
    async fn a_missing_task_is_not_found_for_a_live_bearer() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_get().returning(|_, _| Ok(None));

        assert!(matches!(
            service(repo, live(&bearer))
                .get(&bearer, bearer.user_id, id())
                .await,
            Err(Error::NotFound)
        ));
    }

    #[tokio::test]
    async fn nothing_found_for_a_revoked_bearer_is_unauthorized() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_get().returning(|_, _| Ok(None));
        repo.expect_list().returning(|_, _| {
            Ok(TaskPage {
                tasks: Vec::new(),
                total: 0,
                stamp: None,
            })
        });
        repo.expect_create().returning(|_, _, _| Ok(None));
        repo.expect_toggle()
            .returning(|_, _, _, _| Err(Error::PreconditionFailed));
        repo.expect_delete()
            .returning(|_, _, _| Err(Error::NotFound));
        let service = service(repo, revoked(&bearer));
        let me = bearer.user_id;

        let get = service.get(&bearer, me, id()).await;
        let list = service.list(&bearer, me, &TaskQuery::default()).await;
        let create = service.create(&bearer, me, new_task()).await;
        let toggle = service
            .set_completion(&bearer, me, id(), None, Precondition::Version(3))
            .await;
        let delete = service.delete(&bearer, me, id(), Precondition::None).await;

        assert!(is_revoked(&get), "get: {get:?}");
        assert!(is_revoked(&list), "list: {list:?}");
        assert!(is_revoked(&create), "create: {create:?}");
        assert!(is_revoked(&toggle), "toggle: {toggle:?}");
        assert!(is_revoked(&delete), "delete: {delete:?}");
    }

    #[tokio::test]
    async fn the_stamp_of_another_users_tasks_is_never_asked_for() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_stamp().never();

        let stamp = service(repo, not_asked())
            .stamp(&bearer, UserId::new_random())
            .await;

        assert!(matches!(stamp, Ok(None)), "{stamp:?}");
    }

    #[tokio::test]
    async fn the_owners_stamp_is_storages() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_stamp()
            .with(eq(bearer))
            .returning(|_| Ok(Some(TasksStamp(42))));

        let stamp = service(repo, not_asked())
            .stamp(&bearer, bearer.user_id)
            .await;

        assert!(matches!(stamp, Ok(Some(TasksStamp(42)))), "{stamp:?}");
    }

    #[tokio::test]
    async fn an_empty_listing_of_a_live_bearer_is_just_empty() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_list().returning(|_, _| {
            Ok(TaskPage {
                tasks: Vec::new(),
                total: 0,
                stamp: None,
            })
        });

        let page = service(repo, live(&bearer))
            .list(&bearer, bearer.user_id, &TaskQuery::default())
            .await
            .expect("listed");

        assert_eq!(page.total, 0);
    }

    #[tokio::test]
    async fn a_stale_version_of_a_live_bearer_stays_a_failed_precondition() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_toggle()
            .returning(|_, _, _, _| Err(Error::PreconditionFailed));

        let answer = service(repo, live(&bearer))
            .set_completion(
                &bearer,
                bearer.user_id,
                id(),
                None,
                Precondition::Version(3),
            )
            .await;

        assert!(matches!(answer, Err(Error::PreconditionFailed)));
    }

    #[tokio::test]
    async fn empty_changes_write_nothing() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_get()
            .returning(|b, _| Ok(Some(task(b.user_id, 3))));
        repo.expect_update().never();

        let got = service(repo, not_asked())
            .update(
                &bearer,
                bearer.user_id,
                id(),
                TaskChanges::default(),
                Precondition::None,
            )
            .await;

        let got = got.expect("unchanged");
        assert_eq!(got.task.version, 3);
        assert_eq!(got.stamp_change, None, "nothing was written");
    }

    #[tokio::test]
    async fn empty_changes_still_check_the_precondition() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_get()
            .returning(|b, _| Ok(Some(task(b.user_id, 3))));
        let service = service(repo, not_asked());

        let stale = service
            .update(
                &bearer,
                bearer.user_id,
                id(),
                TaskChanges::default(),
                Precondition::Version(2),
            )
            .await;
        let fresh = service
            .update(
                &bearer,
                bearer.user_id,
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
        let bearer = bearer();
        let changes = TaskChanges {
            completed: Some(true),
            ..TaskChanges::default()
        };
        let mut repo = MockTaskRepository::new();
        repo.expect_update()
            .with(
                eq(bearer),
                eq(id()),
                eq(changes.clone()),
                eq(Precondition::Version(4)),
                eq(at()),
            )
            .times(1)
            .returning(|b, _, _, _, _| Ok(changed(b.user_id, 5)));

        let got = service(repo, not_asked())
            .update(
                &bearer,
                bearer.user_id,
                id(),
                changes,
                Precondition::Version(4),
            )
            .await;

        assert_eq!(got.expect("updated"), changed(bearer.user_id, 5));
    }

    #[tokio::test]
    async fn completion_without_a_value_toggles() {
        let bearer = bearer();
        let mut repo = MockTaskRepository::new();
        repo.expect_toggle()
            .times(1)
            .returning(|b, _, _, _| Ok(changed(b.user_id, 2)));
        repo.expect_update().never();

        assert!(
            service(repo, not_asked())
                .set_completion(&bearer, bearer.user_id, id(), None, Precondition::None)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn completion_with_a_value_sets_it() {
        let bearer = bearer();
        let expected = TaskChanges {
            completed: Some(false),
            ..TaskChanges::default()
        };
        let mut repo = MockTaskRepository::new();
        repo.expect_update()
            .with(eq(bearer), eq(id()), eq(expected), always(), always())
            .times(1)
            .returning(|b, _, _, _, _| Ok(changed(b.user_id, 2)));
        repo.expect_toggle().never();

        assert!(
            service(repo, not_asked())
                .set_completion(
                    &bearer,
                    bearer.user_id,
                    id(),
                    Some(false),
                    Precondition::None
                )
                .await
                .is_ok()
        );
    }
}
