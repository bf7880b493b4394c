//! The task rules on mocked ports.

use chrono::{DateTime, TimeZone as _, Utc};
use mockall::predicate::{always, eq};

use super::*;
use crate::changes::{ActivityCursor, ChangeSeq, FeedPage, FeedQuery, MockChangeFeed, SyncCursor};
use crate::error::TokenRejection;
use crate::ports::{
    MockClock, MockLabelRepository, MockTaskRepository, MockUserRepository, TokenSubject,
};
use crate::task::{Position, Priority, TimeZone, Title};
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
        credential: None,
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
        completed_at: None,
        priority: Priority::default(),
        due: None,
        time_zone: TimeZone::default(),
        parent: None,
        position: Position::default(),
        labels: Vec::new(),
        version,
        created_at: at(),
        updated_at: at(),
    }
}

fn id() -> TaskId {
    TaskId::new(7).expect("positive")
}

fn new_task() -> NewTask {
    NewTask::new(Title::parse("x").expect("valid"))
}

/// Users storage that finds the bearer's user at `version`.
fn users_at_version(bearer: &Bearer, version: i64) -> MockUserRepository {
    let user = User {
        id: bearer.user_id,
        email: Email::parse("ada@example.com").expect("valid"),
        name: UserName::parse("Ada").expect("valid"),
        is_active: true,
        email_verified: false,
        created_at: at(),
        updated_at: at(),
    };
    let mut users = MockUserRepository::new();
    users
        .expect_find_token_subject()
        .with(eq(bearer.user_id), eq(bearer.credential))
        .returning(move |_, _| {
            Ok(Some(TokenSubject {
                user: user.clone(),
                token_version: version,
                credential_live: true,
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

/// Users storage that must not be asked: the task storage found the task.
fn not_asked() -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users.expect_find_token_subject().never();
    users
}

fn service(repo: MockTaskRepository, users: MockUserRepository) -> TaskService {
    service_with_feed(repo, MockChangeFeed::new(), users)
}

fn service_with_feed(
    repo: MockTaskRepository,
    feed: MockChangeFeed,
    users: MockUserRepository,
) -> TaskService {
    TaskService::new(
        Arc::new(repo),
        Arc::new(MockLabelRepository::new()),
        Arc::new(users),
        Arc::new(feed),
        clock(),
        chrono::Duration::days(30),
    )
}

/// The bearer's own tasks.
async fn own(service: &TaskService, bearer: &Bearer) -> OwnerTasks {
    service
        .for_owner(*bearer, Some(bearer.user_id))
        .await
        .expect("the bearer's own tasks")
}

fn is_revoked<T: std::fmt::Debug>(result: &Result<T>) -> bool {
    matches!(result, Err(Error::Unauthorized(TokenRejection::Revoked)))
}

#[tokio::test]
async fn another_users_tasks_are_not_found_without_touching_task_storage() {
    let bearer = bearer();
    let service = service(MockTaskRepository::new(), live(&bearer));

    let other = service.for_owner(bearer, Some(UserId::new_random())).await;
    let nobody = service.for_owner(bearer, None).await;

    assert!(matches!(other, Err(Error::NotFound)), "{other:?}");
    assert!(matches!(nobody, Err(Error::NotFound)), "{nobody:?}");
}

#[tokio::test]
async fn a_revoked_bearer_addressing_another_user_is_unauthorized() {
    let bearer = bearer();
    let service = service(MockTaskRepository::new(), revoked(&bearer));

    let answer = service.for_owner(bearer, Some(UserId::new_random())).await;

    assert!(is_revoked(&answer), "{answer:?}");
}

#[tokio::test]
async fn the_bearers_own_tasks_open_without_asking_storage() {
    let bearer = bearer();
    let service = service(MockTaskRepository::new(), not_asked());

    let tasks = service.for_owner(bearer, Some(bearer.user_id)).await;

    assert_eq!(tasks.expect("opened").owner(), bearer.user_id);
}

#[tokio::test]
async fn refused_input_is_unauthorized_first_for_a_revoked_bearer() {
    let bearer = bearer();
    let live_service = service(MockTaskRepository::new(), live(&bearer));
    let revoked_service = service(MockTaskRepository::new(), revoked(&bearer));
    let bad = || -> Result<()> { Err(Error::PreconditionFailed) };

    let for_live = own(&live_service, &bearer).await.accept(bad()).await;
    let for_revoked = own(&revoked_service, &bearer).await.accept(bad()).await;
    let good = own(&revoked_service, &bearer)
        .await
        .accept(Ok::<_, Error>(5))
        .await;

    assert!(matches!(for_live, Err(Error::PreconditionFailed)));
    assert!(is_revoked(&for_revoked), "{for_revoked:?}");
    assert!(
        matches!(good, Ok(5)),
        "good input needs no look at the bearer"
    );
}

#[tokio::test]
async fn a_found_task_needs_no_second_look() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_get()
        .with(eq(bearer), eq(id()))
        .times(1)
        .returning(|b, _| Ok(Some(task(b.user_id, 1))));
    let service = service(repo, not_asked());

    let got = own(&service, &bearer).await.get(id()).await.expect("found");

    assert_eq!(got.owner, bearer.user_id);
}

#[tokio::test]
async fn a_missing_task_is_not_found_for_a_live_bearer() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_get().returning(|_, _| Ok(None));
    let service = service(repo, live(&bearer));

    let got = own(&service, &bearer).await.get(id()).await;

    assert!(matches!(got, Err(Error::NotFound)));
}

#[tokio::test]
async fn nothing_found_for_a_revoked_bearer_is_unauthorized() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_get().returning(|_, _| Ok(None));
    repo.expect_list().returning(|_, _| Ok(empty_page()));
    repo.expect_create().returning(|_, _, _| Ok(None));
    repo.expect_toggle()
        .returning(|_, _, _, _| Err(Error::PreconditionFailed));
    repo.expect_delete()
        .returning(|_, _, _, _| Err(Error::NotFound));
    repo.expect_trash().returning(|_, _| {
        Ok(TrashPage {
            tasks: Vec::new(),
            total: 0,
        })
    });
    repo.expect_restore()
        .returning(|_, _, _, _| Err(Error::NotFound));
    repo.expect_purge()
        .returning(|_, _, _| Err(Error::NotFound));
    let service = service(repo, revoked(&bearer));
    let tasks = own(&service, &bearer).await;

    let get = tasks.get(id()).await;
    let list = tasks.list(&TaskQuery::default()).await;
    let create = tasks.create(new_task()).await;
    let toggle = tasks
        .set_completion(id(), None, Precondition::Version(3))
        .await;
    let delete = tasks.delete(id(), Precondition::None).await;
    let trash = tasks.trash(&TrashQuery::default()).await;
    let restore = tasks.restore(id(), Precondition::Version(2)).await;
    let purge = tasks.purge(id()).await;

    assert!(is_revoked(&trash), "trash: {trash:?}");
    assert!(is_revoked(&restore), "restore: {restore:?}");
    assert!(is_revoked(&purge), "purge: {purge:?}");
    assert!(is_revoked(&get), "get: {get:?}");
    assert!(is_revoked(&list), "list: {list:?}");
    assert!(is_revoked(&create), "create: {create:?}");
    assert!(is_revoked(&toggle), "toggle: {toggle:?}");
    assert!(is_revoked(&delete), "delete: {delete:?}");
}

#[tokio::test]
async fn an_empty_listing_of_a_live_bearer_is_just_empty() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_list().returning(|_, _| Ok(empty_page()));
    let service = service(repo, live(&bearer));

    let page = own(&service, &bearer)
        .await
        .list(&TaskQuery::default())
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
    let service = service(repo, live(&bearer));

    let answer = own(&service, &bearer)
        .await
        .set_completion(id(), None, Precondition::Version(3))
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
    let service = service(repo, not_asked());

    let got = own(&service, &bearer)
        .await
        .update(id(), TaskChanges::default(), Precondition::None)
        .await;

    assert_eq!(got.expect("unchanged").version, 3);
}

#[tokio::test]
async fn empty_changes_still_check_the_precondition() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_get()
        .returning(|b, _| Ok(Some(task(b.user_id, 3))));
    let service = service(repo, not_asked());
    let tasks = own(&service, &bearer).await;

    let stale = tasks
        .update(id(), TaskChanges::default(), Precondition::Version(2))
        .await;
    let fresh = tasks
        .update(id(), TaskChanges::default(), Precondition::Version(3))
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
        .returning(|b, _, _, _, _| Ok(task(b.user_id, 5)));
    let service = service(repo, not_asked());

    let got = own(&service, &bearer)
        .await
        .update(id(), changes, Precondition::Version(4))
        .await;

    assert_eq!(got.expect("updated"), task(bearer.user_id, 5));
}

#[tokio::test]
async fn completion_without_a_value_toggles() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_toggle()
        .times(1)
        .returning(|b, _, _, _| Ok(task(b.user_id, 2)));
    repo.expect_update().never();
    let service = service(repo, not_asked());

    let got = own(&service, &bearer)
        .await
        .set_completion(id(), None, Precondition::None)
        .await;

    assert!(got.is_ok());
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
        .returning(|b, _, _, _, _| Ok(task(b.user_id, 2)));
    repo.expect_toggle().never();
    let service = service(repo, not_asked());

    let got = own(&service, &bearer)
        .await
        .set_completion(id(), Some(false), Precondition::None)
        .await;

    assert!(got.is_ok());
}

/// A feed that answers `page` for `since`, with at most 100 entries.
fn feed_answering(bearer: &Bearer, since: Option<ChangeSeq>, page: FeedPage) -> MockChangeFeed {
    let query = FeedQuery {
        since: since.unwrap_or(ChangeSeq::START),
        snapshot: since.is_none(),
        limit: 100,
    };
    let mut feed = MockChangeFeed::new();
    feed.expect_feed()
        .with(eq(*bearer), eq(query))
        .times(1)
        .returning(move |_, _| Ok(Some(page.clone())));
    feed
}

fn cursor(bearer: &Bearer, seq: u64, days_ago: i64) -> SyncCursor {
    SyncCursor {
        owner: bearer.user_id,
        seq: ChangeSeq::new(seq),
        started: at() - chrono::Duration::days(days_ago),
        snapshot: false,
    }
}

#[tokio::test]
async fn a_snapshot_that_catches_up_begins_the_next_run_now() {
    let bearer = bearer();
    let page = FeedPage {
        reached: ChangeSeq::new(9),
        ..FeedPage::default()
    };
    let feed = feed_answering(&bearer, None, page);
    let service = service_with_feed(MockTaskRepository::new(), feed, not_asked());

    let (_, next) = own(&service, &bearer)
        .await
        .changes(None, 100)
        .await
        .expect("a page");

    assert_eq!(next, cursor(&bearer, 9, 0));
}

#[tokio::test]
async fn a_run_of_pages_keeps_the_time_it_began() {
    let bearer = bearer();
    let page = FeedPage {
        reached: ChangeSeq::new(150),
        has_more: true,
        ..FeedPage::default()
    };
    let feed = feed_answering(&bearer, Some(ChangeSeq::new(50)), page);
    let service = service_with_feed(MockTaskRepository::new(), feed, not_asked());

    let (_, next) = own(&service, &bearer)
        .await
        .changes(Some(cursor(&bearer, 50, 3)), 100)
        .await
        .expect("a page");

    assert_eq!(next, cursor(&bearer, 150, 3));
}

#[tokio::test]
async fn another_users_cursor_is_refused_before_storage_is_asked() {
    let bearer = bearer();
    let service = service_with_feed(
        MockTaskRepository::new(),
        MockChangeFeed::new(),
        not_asked(),
    );
    let theirs = SyncCursor {
        owner: UserId::new_random(),
        ..cursor(&bearer, 1, 0)
    };

    let refused = own(&service, &bearer)
        .await
        .changes(Some(theirs), 100)
        .await;

    assert!(matches!(refused, Err(Error::InvalidCursor)), "{refused:?}");
}

#[tokio::test]
async fn a_cursor_from_the_future_is_refused() {
    let bearer = bearer();
    let service = service_with_feed(
        MockTaskRepository::new(),
        MockChangeFeed::new(),
        not_asked(),
    );

    let refused = own(&service, &bearer)
        .await
        .changes(Some(cursor(&bearer, 1, -1)), 100)
        .await;

    assert!(matches!(refused, Err(Error::InvalidCursor)), "{refused:?}");
}

#[tokio::test]
async fn a_cursor_older_than_the_retention_has_expired() {
    let bearer = bearer();
    let service = service_with_feed(
        MockTaskRepository::new(),
        MockChangeFeed::new(),
        not_asked(),
    );

    let expired = own(&service, &bearer)
        .await
        .changes(Some(cursor(&bearer, 1, 31)), 100)
        .await;

    assert!(matches!(expired, Err(Error::CursorExpired)), "{expired:?}");
}

#[tokio::test]
async fn a_cursor_ahead_of_the_log_is_refused() {
    let bearer = bearer();
    let page = FeedPage {
        reached: ChangeSeq::new(4),
        ..FeedPage::default()
    };
    let feed = feed_answering(&bearer, Some(ChangeSeq::new(5)), page);
    let service = service_with_feed(MockTaskRepository::new(), feed, not_asked());

    let refused = own(&service, &bearer)
        .await
        .changes(Some(cursor(&bearer, 5, 0)), 100)
        .await;

    assert!(matches!(refused, Err(Error::InvalidCursor)), "{refused:?}");
}

#[tokio::test]
async fn a_revoked_bearer_gets_no_feed() {
    let bearer = bearer();
    let mut feed = MockChangeFeed::new();
    feed.expect_feed().returning(|_, _| Ok(None));
    feed.expect_head().returning(|_| Ok(None));
    let service = service_with_feed(MockTaskRepository::new(), feed, revoked(&bearer));
    let tasks = own(&service, &bearer).await;

    let changes = tasks.changes(None, 100).await;
    let latest = tasks.latest_change().await;

    assert!(is_revoked(&changes), "changes: {changes:?}");
    assert!(is_revoked(&latest), "latest: {latest:?}");
}

#[tokio::test]
async fn another_users_activity_cursor_is_refused_before_storage_is_asked() {
    let bearer = bearer();
    let service = service_with_feed(
        MockTaskRepository::new(),
        MockChangeFeed::new(),
        not_asked(),
    );
    let theirs = ActivityCursor {
        owner: UserId::new_random(),
        before: ChangeSeq::new(3),
    };

    let refused = own(&service, &bearer)
        .await
        .activity(Some(theirs), 10)
        .await;

    assert!(matches!(refused, Err(Error::InvalidCursor)), "{refused:?}");
}

fn stored_task(owner: UserId) -> crate::task::StoredTask {
    crate::task::StoredTask {
        task: task(owner, 1),
        deleted_at: None,
    }
}

#[tokio::test]
async fn a_full_export_page_is_passed_on_without_asking_for_the_bearer() {
    let bearer = bearer();
    let after = crate::task::StoredKey::of(&task(bearer.user_id, 1));
    let mut repo = MockTaskRepository::new();
    let owner = bearer.user_id;
    repo.expect_stored()
        .with(eq(bearer), eq(Some(after)), always())
        .returning(move |_, _, limit| {
            let full = usize::try_from(limit.get()).expect("a small page");
            Ok(vec![stored_task(owner); full])
        });
    let service = service(repo, not_asked());
    let two = crate::task::PageLimit::new(2).expect("a page size");

    let page = own(&service, &bearer)
        .await
        .export_tasks(Some(after), two)
        .await;

    assert_eq!(page.map(|page| page.len()).ok(), Some(2));
}

#[tokio::test]
async fn an_export_whose_bearer_was_revoked_ends_unauthorized_not_short() {
    let bearer = bearer();
    let owner = bearer.user_id;
    let mut repo = MockTaskRepository::new();
    repo.expect_stored()
        .returning(move |_, _, _| Ok(vec![stored_task(owner)]));
    let service = service(repo, revoked(&bearer));
    let two = crate::task::PageLimit::new(2).expect("a page size");

    let page = own(&service, &bearer).await.export_tasks(None, two).await;

    assert!(is_revoked(&page), "{page:?}");
}

/// A page with no task, as storage answers a bearer that is not live.
fn empty_page() -> TaskPage {
    TaskPage {
        tasks: Vec::new(),
        total: 0,
        latest: None,
    }
}

/// A page of one task, with `latest` as storage read it.
fn page_of(bearer: &Bearer, latest: Option<u64>) -> TaskPage {
    TaskPage {
        tasks: vec![task(bearer.user_id, 1)],
        total: 1,
        latest: latest.map(ChangeSeq::new),
    }
}

#[tokio::test]
async fn a_page_read_with_its_latest_change_needs_no_other_read() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    let page = page_of(&bearer, Some(9));
    repo.expect_list()
        .times(1)
        .returning(move |_, _| Ok(page.clone()));
    let mut feed = MockChangeFeed::new();
    feed.expect_head().never();
    let service = service_with_feed(repo, feed, not_asked());

    let (page, latest) = own(&service, &bearer)
        .await
        .list_with_latest(&TaskQuery::default())
        .await
        .expect("listed");

    assert_eq!((page.tasks.len(), latest), (1, ChangeSeq::new(9)));
}

#[tokio::test]
async fn a_page_without_its_latest_change_is_read_again_after_the_head() {
    let bearer = bearer();
    let mut order = mockall::Sequence::new();
    let mut repo = MockTaskRepository::new();
    let mut feed = MockChangeFeed::new();
    let first = page_of(&bearer, None);
    repo.expect_list()
        .times(1)
        .in_sequence(&mut order)
        .returning(move |_, _| Ok(first.clone()));
    feed.expect_head()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(Some(ChangeSeq::new(4))));
    let second = page_of(&bearer, None);
    repo.expect_list()
        .times(1)
        .in_sequence(&mut order)
        .returning(move |_, _| Ok(second.clone()));
    let service = service_with_feed(repo, feed, not_asked());

    let (_, latest) = own(&service, &bearer)
        .await
        .list_with_latest(&TaskQuery::default())
        .await
        .expect("listed");

    assert_eq!(latest, ChangeSeq::new(4), "the head read before the page");
}

#[tokio::test]
async fn a_revoked_bearer_gets_no_page_with_a_latest_change() {
    let bearer = bearer();
    let mut repo = MockTaskRepository::new();
    repo.expect_list().returning(|_, _| Ok(empty_page()));
    let mut feed = MockChangeFeed::new();
    feed.expect_head().returning(|_| Ok(None));
    let service = service_with_feed(repo, feed, revoked(&bearer));

    let listed = own(&service, &bearer)
        .await
        .list_with_latest(&TaskQuery::default())
        .await;

    assert!(is_revoked(&listed), "{listed:?}");
}
