//! The [`TaskRepository`](crate::ports::TaskRepository) contract.

use super::sessions::session;
use super::{Storage, at, user};
use crate::bearer::Bearer;
use crate::error::Error;
use crate::session::SessionId;
use crate::task::{
    Description, NewTask, PageLimit, Precondition, Sort, Task, TaskChanges, TaskId, TaskQuery,
    Title,
};

fn new_task(title: &str, description: Option<&str>, completed: bool) -> NewTask {
    NewTask {
        title: Title::parse(title).expect("a valid title"),
        description: description.map(|d| Description::parse(d).expect("a valid description")),
        completed,
    }
}

async fn create(storage: &Storage, owner: Bearer, title: &str, seconds: i64) -> Task {
    create_with(storage, owner, new_task(title, None, false), seconds).await
}

async fn create_with(storage: &Storage, owner: Bearer, task: NewTask, seconds: i64) -> Task {
    storage
        .tasks
        .create(&owner, task, at(seconds))
        .await
        .expect("task created")
        .expect("a live bearer's task is stored")
}

/// A new user, as the bearer of a token issued now without a session.
pub(super) async fn bearer(storage: &Storage, email: &str) -> Bearer {
    let user_id = user(storage, email).await;
    let subject = storage
        .users
        .find_token_subject(user_id, None)
        .await
        .expect("read")
        .expect("the user just stored");
    Bearer {
        user_id,
        session_id: None,
        token_version: subject.token_version,
    }
}

async fn stored(storage: &Storage, owner: Bearer, id: TaskId) -> Option<Task> {
    storage.tasks.get(&owner, id).await.expect("task read")
}

fn completion(completed: bool) -> TaskChanges {
    TaskChanges {
        completed: Some(completed),
        ..TaskChanges::default()
    }
}

/// Changes giving every field: `title`, `description` and `completed`.
fn every_field(title: &str, description: &str, completed: bool) -> TaskChanges {
    TaskChanges {
        title: Some(Title::parse(title).expect("a valid title")),
        description: Some(Some(Description::parse(description).expect("valid"))),
        completed: Some(completed),
    }
}

/// The ids of a listing's page, in order.
async fn listed(storage: &Storage, owner: Bearer, query: &TaskQuery) -> (Vec<TaskId>, u64) {
    let page = storage.tasks.list(&owner, query).await.expect("listed");
    assert!(
        page.tasks.iter().all(|task| task.owner == owner.user_id),
        "a listing shows only its owner's tasks"
    );
    (page.tasks.iter().map(|task| task.id).collect(), page.total)
}

fn searching(text: &str) -> TaskQuery {
    TaskQuery {
        search: Some(text.to_owned()),
        sort: sort("id"),
        ..TaskQuery::default()
    }
}

fn sort(raw: &str) -> Sort {
    raw.parse().expect("a contract sort value")
}

/// Every conditional write to `id` of `owner`, with no precondition and
/// with version `version`, answered `NotFound`.
async fn assert_every_write_is_not_found(storage: &Storage, owner: Bearer, id: TaskId) {
    for precondition in [Precondition::None, Precondition::Version(1)] {
        let update = storage
            .tasks
            .update(&owner, id, completion(true), precondition, at(50))
            .await;
        let toggle = storage.tasks.toggle(&owner, id, precondition, at(50)).await;
        let delete = storage.tasks.delete(&owner, id, precondition).await;

        assert_error!(update, Error::NotFound, "update with {precondition:?}");
        assert_error!(toggle, Error::NotFound, "toggle with {precondition:?}");
        assert_error!(delete, Error::NotFound, "delete with {precondition:?}");
    }
}

/// `create` stores the task as given for its owner, at version 1 with both
/// timestamps `now`, and answers what `get` then reads.
pub async fn a_created_task_starts_at_version_one(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;

    let full = create_with(
        storage,
        ada,
        new_task("Write report", Some("with tables\n\tand a tab"), true),
        5,
    )
    .await;
    let bare = create(storage, ada, "Read", 6).await;

    assert_eq!(full.owner, ada.user_id);
    assert_eq!(full.title, "Write report");
    assert_eq!(
        full.description.as_deref(),
        Some("with tables\n\tand a tab")
    );
    assert!(full.completed);
    assert_eq!(full.version, 1);
    assert_eq!((full.created_at, full.updated_at), (at(5), at(5)));
    assert_eq!((bare.description, bare.completed), (None, false));
    assert_ne!(full.id, bare.id);
    assert_eq!(stored(storage, ada, full.id).await, Some(full));
}

/// Another owner's task is invisible: not read, not written, not listed,
/// `NotFound` even with a version precondition; and it stays unchanged.
pub async fn another_owners_task_behaves_like_a_missing_one(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let adas = create(storage, ada, "Private", 1).await;

    let read = stored(storage, bob, adas.id).await;
    assert_every_write_is_not_found(storage, bob, adas.id).await;
    let (ids, total) = listed(storage, bob, &TaskQuery::default()).await;

    assert_eq!(read, None);
    assert_eq!((ids, total), (vec![], 0));
    assert_eq!(stored(storage, ada, adas.id).await, Some(adas));
}

/// A task that does not exist (here: one deleted) is `NotFound` for every
/// write and absent for `get`.
pub async fn a_missing_task_is_not_found(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let gone = create(storage, ada, "Short-lived", 1).await;
    storage
        .tasks
        .delete(&ada, gone.id, Precondition::None)
        .await
        .expect("deleted");

    assert_eq!(stored(storage, ada, gone.id).await, None);
    assert_every_write_is_not_found(storage, ada, gone.id).await;
}

/// `update` writes the given fields only, bumps the version by exactly one
/// and sets `updated_at`, keeping `created_at`.
pub async fn an_update_writes_the_changes_and_bumps_the_version_once(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create_with(storage, ada, new_task("Draft", Some("old"), false), 0).await;
    let everything = every_field("Final", "new", true);

    let first = storage
        .tasks
        .update(&ada, task.id, everything, Precondition::None, at(10))
        .await
        .expect("updated");
    let second = storage
        .tasks
        .update(&ada, task.id, completion(false), Precondition::None, at(20))
        .await
        .expect("updated again");

    assert_eq!(first.title, "Final");
    assert_eq!(first.description.as_deref(), Some("new"));
    assert!(first.completed);
    assert_eq!(first.version, 2);
    assert_eq!((first.created_at, first.updated_at), (at(0), at(10)));
    assert_eq!(second.title, "Final");
    assert_eq!(second.description.as_deref(), Some("new"));
    assert!(!second.completed);
    assert_eq!(second.version, 3);
    assert_eq!(second.updated_at, at(20));
    assert_eq!(stored(storage, ada, task.id).await, Some(second));
}

/// Changes to the values the task already has write nothing: the task
/// comes back at its version and `updated_at`, and a
/// stale precondition is still refused. One new value among them writes.
pub async fn an_update_to_the_values_a_task_has_writes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create_with(storage, ada, new_task("Same", Some("as ever"), false), 0).await;
    let same = every_field("Same", "as ever", false);

    let kept = storage
        .tasks
        .update(
            &ada,
            task.id,
            same.clone(),
            Precondition::Version(1),
            at(10),
        )
        .await
        .expect("written nothing");
    let stale = storage
        .tasks
        .update(
            &ada,
            task.id,
            same.clone(),
            Precondition::Version(2),
            at(10),
        )
        .await;
    let one_new = TaskChanges {
        completed: Some(true),
        ..same
    };
    let written = storage
        .tasks
        .update(&ada, task.id, one_new, Precondition::None, at(20))
        .await
        .expect("written");

    assert_eq!(kept, task);
    assert_error!(stale, Error::PreconditionFailed, "a stale precondition");
    assert_eq!((written.version, written.updated_at), (2, at(20)));
    assert_eq!(stored(storage, ada, task.id).await, Some(written));
}

/// A description is kept when the changes leave it alone and cleared by
/// `Some(None)`.
pub async fn the_description_is_cleared_only_when_asked(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create_with(storage, ada, new_task("Task", Some("details"), false), 0).await;
    let retitle = TaskChanges {
        title: Some(Title::parse("Renamed").expect("a valid title")),
        ..TaskChanges::default()
    };
    let clear = TaskChanges {
        description: Some(None),
        ..TaskChanges::default()
    };

    let kept = storage
        .tasks
        .update(&ada, task.id, retitle, Precondition::None, at(1))
        .await
        .expect("retitled");
    let cleared = storage
        .tasks
        .update(&ada, task.id, clear, Precondition::None, at(2))
        .await
        .expect("cleared");

    assert_eq!(kept.description.as_deref(), Some("details"));
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.title, "Renamed");
}

/// A write expecting another version fails with `PreconditionFailed` and
/// changes nothing.
pub async fn a_stale_version_changes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Contended", 0).await;

    let update = storage
        .tasks
        .update(
            &ada,
            task.id,
            completion(true),
            Precondition::Version(2),
            at(5),
        )
        .await;
    let toggle = storage
        .tasks
        .toggle(&ada, task.id, Precondition::Version(0), at(5))
        .await;
    let delete = storage
        .tasks
        .delete(&ada, task.id, Precondition::Version(7))
        .await;

    assert_error!(
        update,
        Error::PreconditionFailed,
        "update at a stale version"
    );
    assert_error!(
        toggle,
        Error::PreconditionFailed,
        "toggle at a stale version"
    );
    assert_error!(
        delete,
        Error::PreconditionFailed,
        "delete at a stale version"
    );
    assert_eq!(stored(storage, ada, task.id).await, Some(task));
}

/// A write expecting the current version goes through.
pub async fn a_matching_version_writes(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Careful", 0).await;

    let updated = storage
        .tasks
        .update(
            &ada,
            task.id,
            completion(true),
            Precondition::Version(1),
            at(1),
        )
        .await
        .expect("updated at version 1");
    let toggled = storage
        .tasks
        .toggle(&ada, task.id, Precondition::Version(2), at(2))
        .await
        .expect("toggled at version 2");
    let deleted = storage
        .tasks
        .delete(&ada, task.id, Precondition::Version(3))
        .await;

    assert_eq!((updated.version, updated.completed), (2, true));
    assert_eq!((toggled.version, toggled.completed), (3, false));
    assert!(deleted.is_ok(), "deleted at version 3: {deleted:?}");
    assert_eq!(stored(storage, ada, task.id).await, None);
}

/// `toggle` flips `completed`, bumps the version by one and sets
/// `updated_at`.
pub async fn a_toggle_flips_completion_and_bumps_the_version(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Flip", 0).await;

    let on = storage
        .tasks
        .toggle(&ada, task.id, Precondition::None, at(1))
        .await
        .expect("toggled");
    let off = storage
        .tasks
        .toggle(&ada, task.id, Precondition::None, at(2))
        .await
        .expect("toggled back");

    assert_eq!((on.completed, on.version, on.updated_at), (true, 2, at(1)));
    assert_eq!(
        (off.completed, off.version, off.updated_at),
        (false, 3, at(2))
    );
    assert_eq!(off.title, "Flip");
}

/// A deleted task is gone: not read, not listed, and deleting it again is
/// `NotFound`.
pub async fn a_deleted_task_is_gone(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Doomed", 0).await;
    let kept = create(storage, ada, "Kept", 0).await;

    storage
        .tasks
        .delete(&ada, task.id, Precondition::None)
        .await
        .expect("deleted");
    let again = storage
        .tasks
        .delete(&ada, task.id, Precondition::None)
        .await;

    assert_eq!(stored(storage, ada, task.id).await, None);
    assert_error!(again, Error::NotFound, "deleting twice");
    let (ids, total) = listed(storage, ada, &TaskQuery::default()).await;
    assert_eq!((ids, total), (vec![kept.id], 1));
}

/// Listings are ordered by the sort field, ties broken by id in the same
/// direction (so a descending order is the ascending one reversed); the
/// default is newest first.
pub async fn the_listing_sorts_by_the_field_then_by_id_in_the_same_direction(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bravo = create(storage, ada, "bravo", 0).await;
    let alpha = create(storage, ada, "alpha", 0).await;
    let charlie = create(storage, ada, "charlie", 10).await;
    let second_alpha = create(storage, ada, "alpha", 5).await;
    for task in [&bravo, &charlie] {
        storage
            .tasks
            .toggle(&ada, task.id, Precondition::None, at(30))
            .await
            .expect("touched");
    }
    let by_id = |a: &Task, b: &Task| {
        let mut pair = [a.id, b.id];
        pair.sort();
        pair
    };
    let ascending = [
        (
            "created_at",
            [by_id(&bravo, &alpha), [second_alpha.id, charlie.id]],
        ),
        (
            "updated_at",
            [[alpha.id, second_alpha.id], by_id(&bravo, &charlie)],
        ),
        (
            "title",
            [by_id(&alpha, &second_alpha), [bravo.id, charlie.id]],
        ),
        ("id", {
            let mut ids = [bravo.id, alpha.id, charlie.id, second_alpha.id];
            ids.sort();
            [[ids[0], ids[1]], [ids[2], ids[3]]]
        }),
    ];

    for (field, halves) in ascending {
        let expected: Vec<TaskId> = halves.concat();
        let mut reversed = expected.clone();
        reversed.reverse();
        let up = TaskQuery {
            sort: sort(field),
            ..TaskQuery::default()
        };
        let down = TaskQuery {
            sort: sort(&format!("-{field}")),
            ..TaskQuery::default()
        };

        assert_eq!(listed(storage, ada, &up).await, (expected, 4), "{field}");
        assert_eq!(listed(storage, ada, &down).await, (reversed, 4), "-{field}");
    }
    let newest_first = listed(storage, ada, &TaskQuery::default()).await;
    let created_desc = TaskQuery {
        sort: sort("-created_at"),
        ..TaskQuery::default()
    };
    assert_eq!(newest_first, listed(storage, ada, &created_desc).await);
}

/// `completed` keeps only the tasks in that state.
pub async fn the_listing_filters_by_completion(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let done = create_with(storage, ada, new_task("Done", None, true), 0).await;
    let open = create_with(storage, ada, new_task("Open", None, false), 1).await;
    let also_done = create_with(storage, ada, new_task("Also done", None, true), 2).await;
    let only = |completed| TaskQuery {
        completed,
        sort: sort("created_at"),
        ..TaskQuery::default()
    };

    assert_eq!(
        listed(storage, ada, &only(Some(true))).await,
        (vec![done.id, also_done.id], 2)
    );
    assert_eq!(
        listed(storage, ada, &only(Some(false))).await,
        (vec![open.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &only(None)).await,
        (vec![done.id, open.id, also_done.id], 3)
    );
}

/// `search` matches a substring of the title or of the description,
/// ignoring the case of ASCII letters.
pub async fn search_matches_title_or_description_ignoring_ascii_case(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let in_title = create(storage, ada, "Buy MILK", 0).await;
    let in_description = create_with(
        storage,
        ada,
        new_task("Call mom", Some("about the Milkshake"), false),
        1,
    )
    .await;
    let dog = create_with(storage, ada, new_task("Walk", Some("the dog"), false), 2).await;
    let mut both = vec![in_title.id, in_description.id];
    both.sort();

    assert_eq!(
        listed(storage, ada, &searching("milk")).await,
        (both.clone(), 2)
    );
    assert_eq!(listed(storage, ada, &searching("mIlK")).await, (both, 2));
    assert_eq!(
        listed(storage, ada, &searching("DOG")).await,
        (vec![dog.id], 1)
    );
    assert_eq!(listed(storage, ada, &searching("cat")).await, (vec![], 0));
}

/// `search` finds text typed exactly as it was stored, whatever its
/// case and script.
pub async fn search_finds_text_in_the_case_it_was_stored(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create_with(
        storage,
        ada,
        new_task("Ünïcode STRASSE", Some("Ωmega Ärger ΟΔΟΣ"), false),
        0,
    )
    .await;
    create(storage, ada, "plain", 1).await;

    for text in ["Ünï", "STRASSE", "Ωmega", "Ärger", "ΟΔΟΣ"] {
        assert_eq!(
            listed(storage, ada, &searching(text)).await,
            (vec![task.id], 1),
            "{text}"
        );
    }
}

/// `%`, `_` and `\` in a search match only themselves.
pub async fn search_wildcards_match_only_themselves(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let percent = create(storage, ada, "50% off", 0).await;
    create(storage, ada, "5000 off", 1).await;
    let underscore = create(storage, ada, "snake_case", 2).await;
    create(storage, ada, "snakeXcase", 3).await;
    let backslash = create(storage, ada, r"back\slash", 4).await;
    create(storage, ada, "backslash", 5).await;

    assert_eq!(
        listed(storage, ada, &searching("0%")).await,
        (vec![percent.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &searching("e_c")).await,
        (vec![underscore.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &searching(r"k\s")).await,
        (vec![backslash.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &searching("%")).await,
        (vec![percent.id], 1)
    );
}

/// An empty `search` filters nothing.
pub async fn an_empty_search_filters_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let first = create(storage, ada, "One", 0).await;
    let second = create_with(storage, ada, new_task("Two", Some("text"), false), 1).await;
    let mut ids = vec![first.id, second.id];
    ids.sort();

    assert_eq!(listed(storage, ada, &searching("")).await, (ids, 2));
}

/// `limit` and `offset` cut one page out of the matches; `total` counts
/// every match, also when the page is past the end.
pub async fn the_listing_pages_and_counts_every_match(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let mut tasks = Vec::new();
    for n in 0..5 {
        tasks.push(create_with(storage, ada, new_task("Task", None, n % 2 == 0), n).await);
    }
    tasks.sort_by_key(|task| task.id);
    let ids: Vec<TaskId> = tasks.iter().map(|task| task.id).collect();
    let done: Vec<TaskId> = tasks.iter().filter(|t| t.completed).map(|t| t.id).collect();
    let page = |limit: u32, offset: u64, completed: Option<bool>| TaskQuery {
        completed,
        sort: sort("id"),
        limit: PageLimit::new(limit).expect("a valid limit"),
        offset,
        ..TaskQuery::default()
    };

    assert_eq!(
        listed(storage, ada, &page(2, 0, None)).await,
        (ids[0..2].to_vec(), 5)
    );
    assert_eq!(
        listed(storage, ada, &page(2, 2, None)).await,
        (ids[2..4].to_vec(), 5)
    );
    assert_eq!(
        listed(storage, ada, &page(2, 4, None)).await,
        (ids[4..].to_vec(), 5)
    );
    assert_eq!(listed(storage, ada, &page(2, 5, None)).await, (vec![], 5));
    assert_eq!(
        listed(storage, ada, &page(500, 1_000_000, None)).await,
        (vec![], 5)
    );
    assert_eq!(
        listed(storage, ada, &page(1, 1, Some(true))).await,
        (vec![done[1]], 3)
    );
}

/// A listing holds its owner's tasks only, whatever the filters.
pub async fn the_listing_shows_only_the_owners_tasks(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let mut adas = vec![
        create(storage, ada, "Ada's first", 0).await.id,
        create(storage, ada, "Ada's second", 1).await.id,
    ];
    adas.sort();
    let bobs = create(storage, bob, "Bob's", 2).await;
    let by_id = TaskQuery {
        sort: sort("id"),
        ..TaskQuery::default()
    };

    assert_eq!(listed(storage, ada, &by_id).await, (adas, 2));
    assert_eq!(listed(storage, bob, &by_id).await, (vec![bobs.id], 1));
    assert_eq!(listed(storage, ada, &searching("Bob")).await, (vec![], 0));
}

/// Ada's bearers that are not live: a token from before a password change
/// (another version), one of a session that ended, one naming a session
/// that never existed, and one naming Bob's session.
async fn dead_bearers(storage: &Storage, ada: Bearer) -> Vec<(&'static str, Bearer)> {
    let bob = bearer(storage, "bob@example.com").await;
    let ended = session(ada.user_id, "ada-ended", 0, 3600);
    let bobs = session(bob.user_id, "bob-live", 0, 3600);
    let (ended_id, bobs_id) = (ended.id, bobs.id);
    for session in [ended, bobs] {
        storage.sessions.start(session).await.expect("started");
    }
    let was_ended = storage
        .sessions
        .end(ada.user_id, ended_id, at(10))
        .await
        .expect("ended");
    assert!(was_ended, "the session was live");
    let with_session = |session_id| Bearer {
        session_id: Some(session_id),
        ..ada
    };
    vec![
        (
            "another token version",
            Bearer {
                token_version: ada.token_version + 1,
                ..ada
            },
        ),
        ("an ended session", with_session(ended_id)),
        ("an unknown session", with_session(SessionId::new_random())),
        ("another user's session", with_session(bobs_id)),
    ]
}

/// A bearer that is not live reads nothing and changes nothing, while the
/// same user's live bearer (with or without a live session) still works.
pub async fn a_bearer_that_is_not_live_reads_and_writes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Mine", 1).await;
    let live = session(ada.user_id, "ada-live", 0, 3600);
    let live_session = Bearer {
        session_id: Some(live.id),
        ..ada
    };
    storage.sessions.start(live).await.expect("started");

    for (what, dead) in dead_bearers(storage, ada).await {
        let created = storage
            .tasks
            .create(&dead, new_task("Sneaked in", None, false), at(20))
            .await
            .expect("answered");
        assert_eq!(created, None, "create with {what}");
        assert_eq!(
            stored(storage, dead, task.id).await,
            None,
            "get with {what}"
        );
        let page = storage
            .tasks
            .list(&dead, &TaskQuery::default())
            .await
            .expect("listed");
        assert_eq!((page.tasks.len(), page.total), (0, 0), "list with {what}");
        for precondition in [Precondition::None, Precondition::Version(task.version)] {
            let update = storage
                .tasks
                .update(&dead, task.id, completion(true), precondition, at(30))
                .await;
            let toggle = storage
                .tasks
                .toggle(&dead, task.id, precondition, at(30))
                .await;
            let delete = storage.tasks.delete(&dead, task.id, precondition).await;
            for (write, result) in [
                ("update", update.map(|_| ())),
                ("toggle", toggle.map(|_| ())),
                ("delete", delete),
            ] {
                assert!(
                    matches!(result, Err(Error::NotFound | Error::PreconditionFailed)),
                    "{write} with {what} and {precondition:?}: {result:?}"
                );
            }
        }
    }

    assert_eq!(stored(storage, ada, task.id).await, Some(task.clone()));
    assert_eq!(stored(storage, live_session, task.id).await, Some(task));
    assert_eq!(listed(storage, ada, &TaskQuery::default()).await.1, 1);
}

/// Once the user is deleted, their bearer reads and writes nothing.
pub async fn a_deleted_users_bearer_reads_and_writes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    create(storage, ada, "Mine", 1).await;

    storage.users.delete(ada.user_id).await.expect("deleted");

    let created = storage
        .tasks
        .create(&ada, new_task("After", None, false), at(2))
        .await
        .expect("answered");
    assert_eq!(created, None);
    assert_eq!(
        listed(storage, ada, &TaskQuery::default()).await,
        (vec![], 0)
    );
}
