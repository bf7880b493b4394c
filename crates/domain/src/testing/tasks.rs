//! The [`TaskRepository`](crate::ports::TaskRepository) contract: writes
//! and reads of one task here, listings in `listing`, bearers that are not
//! live in `live`, planning fields in `planning`, subtasks and manual
//! order in `tree`, deleted tasks in `trash`.

mod batch;
mod listing;
mod live;
mod planning;
mod preconditions;
mod trash;
mod tree;

pub use batch::{
    a_batch_cannot_touch_another_owners_task, a_batch_writes_every_op_or_none,
    batched_creates_store_what_single_creates_store, creates_in_a_batch_go_last_in_order,
};
pub use listing::{
    an_empty_search_filters_nothing, search_finds_text_in_the_case_it_was_stored,
    search_matches_title_or_description_ignoring_ascii_case,
    search_wildcards_match_only_themselves, the_listing_filters_by_completion,
    the_listing_pages_and_counts_every_match, the_listing_shows_only_the_owners_tasks,
    the_listing_sorts_by_the_field_then_by_id_in_the_same_direction,
};
pub use live::{
    a_bearer_that_is_not_live_reads_and_writes_nothing,
    a_deleted_users_bearer_reads_and_writes_nothing,
};
pub use planning::{
    overdue_tasks_are_open_and_past_their_deadline, the_completion_time_is_set_kept_and_cleared,
    the_due_time_is_stored_sorted_and_filtered, the_priority_is_stored_changed_filtered_and_sorted,
};
pub use preconditions::{a_matching_version_writes, a_stale_version_changes_nothing};
pub use trash::{
    a_deleted_task_waits_in_the_trash_until_restored, a_purged_task_is_gone_for_good,
    a_restored_subtask_whose_parent_is_gone_comes_back_at_the_top,
    a_restored_task_that_would_be_too_deep_comes_back_at_the_top,
    another_owners_trash_is_out_of_reach,
    every_stored_task_is_read_once_in_the_order_it_was_created,
    the_trash_is_purged_of_what_was_deleted_before_a_time,
};
pub use tree::{
    a_move_refuses_cycles_and_depth_and_changes_nothing_then, concurrent_moves_never_make_a_cycle,
    deleting_a_task_deletes_its_subtasks,
    subtasks_nest_under_the_owners_tasks_at_most_four_levels_deep, tasks_keep_their_manual_order,
};

use super::{Storage, at, user};
use crate::bearer::Bearer;
use crate::error::Error;
use crate::label::TaskLabels;
use crate::task::{
    Description, Due, NewTask, Precondition, Priority, Sort, Task, TaskChanges, TaskId, TaskQuery,
    TimeZone, Title,
};

pub(super) fn new_task(title: &str, description: Option<&str>, completed: bool) -> NewTask {
    NewTask {
        title: Title::parse(title).expect("a valid title"),
        description: description.map(|d| Description::parse(d).expect("a valid description")),
        completed,
        priority: Priority::default(),
        due: None,
        time_zone: TimeZone::default(),
        parent: None,
        labels: TaskLabels::default(),
    }
}

async fn create(storage: &Storage, owner: Bearer, title: &str, seconds: i64) -> Task {
    create_with(storage, owner, new_task(title, None, false), seconds).await
}

pub(super) async fn create_with(
    storage: &Storage,
    owner: Bearer,
    task: NewTask,
    seconds: i64,
) -> Task {
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
        credential: None,
        token_version: subject.token_version,
    }
}

async fn stored(storage: &Storage, owner: Bearer, id: TaskId) -> Option<Task> {
    storage.tasks.get(&owner, id).await.expect("task read")
}

pub(super) fn completion(completed: bool) -> TaskChanges {
    TaskChanges {
        completed: Some(completed),
        ..TaskChanges::default()
    }
}

/// Changes giving every field: `title`, `description`, `completed`,
/// `priority` (2), `due` (2026-12-24) and `time_zone` (Europe/Paris).
fn every_field(title: &str, description: &str, completed: bool) -> TaskChanges {
    TaskChanges {
        title: Some(Title::parse(title).expect("a valid title")),
        description: Some(Some(Description::parse(description).expect("valid"))),
        completed: Some(completed),
        priority: Some(Priority::new(2).expect("a valid priority")),
        due: Some(Some(Due::Date(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 24).expect("a date"),
        ))),
        time_zone: Some(TimeZone::parse("Europe/Paris").expect("a time zone")),
        placement: None,
        labels: None,
    }
}

/// The ids of a listing's page, in order.
pub(super) async fn listed(
    storage: &Storage,
    owner: Bearer,
    query: &TaskQuery,
) -> (Vec<TaskId>, u64) {
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
        let delete = storage.tasks.delete(&owner, id, precondition, at(40)).await;

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
        .delete(&ada, gone.id, Precondition::None, at(40))
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
    let same = every_field("Same", "as ever", false);
    let mut new = new_task("Same", Some("as ever"), false);
    new.priority = same.priority.expect("every field");
    new.due = same.due.expect("every field");
    new.time_zone = same.time_zone.expect("every field");
    let task = create_with(storage, ada, new, 0).await;

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
        .delete(&ada, task.id, Precondition::None, at(40))
        .await
        .expect("deleted");
    let again = storage
        .tasks
        .delete(&ada, task.id, Precondition::None, at(40))
        .await;

    assert_eq!(stored(storage, ada, task.id).await, None);
    assert_error!(again, Error::NotFound, "deleting twice");
    let (ids, total) = listed(storage, ada, &TaskQuery::default()).await;
    assert_eq!((ids, total), (vec![kept.id], 1));
}
