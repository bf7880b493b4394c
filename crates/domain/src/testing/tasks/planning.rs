//! Planning fields in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: the priority, and the completion time.

use super::{bearer, completion, create, create_with, listed, new_task, sort, stored};
use crate::task::{Precondition, Priority, TaskChanges, TaskId, TaskQuery, Title};
use crate::testing::{Storage, at};

fn priority(value: i64) -> Priority {
    Priority::new(value).expect("a valid priority")
}

/// A task's priority is stored, changed, filtered on (`priority_min`) and
/// sorted by, ties broken by id.
pub async fn the_priority_is_stored_changed_filtered_and_sorted(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let with_priority = |title: &str, value: i64| {
        let mut task = new_task(title, None, false);
        task.priority = priority(value);
        task
    };
    let urgent = create_with(storage, ada, with_priority("Urgent", 4), 0).await;
    let plain = create(storage, ada, "Plain", 1).await;
    let high = create_with(storage, ada, with_priority("High", 3), 2).await;
    let also_urgent = create_with(storage, ada, with_priority("Also urgent", 4), 3).await;
    let lowered = storage
        .tasks
        .update(
            &ada,
            high.id,
            TaskChanges {
                priority: Some(priority(1)),
                ..TaskChanges::default()
            },
            Precondition::None,
            at(10),
        )
        .await
        .expect("updated");
    let mut urgents = [urgent.id, also_urgent.id];
    urgents.sort();
    let query = |raw_sort: &str, min: Option<i64>| TaskQuery {
        sort: sort(raw_sort),
        priority_min: min.map(priority),
        ..TaskQuery::default()
    };
    let ascending: Vec<TaskId> = [[plain.id, high.id], urgents].concat();
    let mut descending = ascending.clone();
    descending.reverse();

    assert_eq!(urgent.priority, priority(4), "stored as created");
    assert_eq!(plain.priority, Priority::default(), "none by default");
    assert_eq!((lowered.priority, lowered.version), (priority(1), 2));
    let read = stored(storage, ada, high.id).await.expect("still there");
    assert_eq!(read.priority, priority(1), "read back as changed");
    assert_eq!(
        listed(storage, ada, &query("priority", None)).await,
        (ascending, 4)
    );
    assert_eq!(
        listed(storage, ada, &query("-priority", None)).await,
        (descending.clone(), 4)
    );
    assert_eq!(
        listed(storage, ada, &query("-priority", Some(1))).await,
        (descending[..3].to_vec(), 3),
        "priority_min keeps that priority and above"
    );
    assert_eq!(
        listed(storage, ada, &query("id", Some(4))).await,
        (urgents.to_vec(), 2)
    );
}

/// `completed_at` is set when a task becomes completed (created completed,
/// updated or toggled), kept while it stays completed, and cleared when it
/// is reopened.
pub async fn the_completion_time_is_set_kept_and_cleared(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let done = create_with(storage, ada, new_task("Done", None, true), 0).await;
    let open = create(storage, ada, "Open", 1).await;
    let write = |id, changes, seconds| async move {
        storage
            .tasks
            .update(&ada, id, changes, Precondition::None, at(seconds))
            .await
            .expect("updated")
    };
    let toggle = |id, seconds| async move {
        storage
            .tasks
            .toggle(&ada, id, Precondition::None, at(seconds))
            .await
            .expect("toggled")
    };

    let completed = write(open.id, completion(true), 5).await;
    let renamed = write(
        open.id,
        TaskChanges {
            title: Some(Title::parse("Renamed").expect("a valid title")),
            completed: Some(true),
            ..TaskChanges::default()
        },
        7,
    )
    .await;
    let reopened = toggle(open.id, 9).await;
    let completed_again = toggle(open.id, 11).await;
    let undone = write(done.id, completion(false), 12).await;

    assert_eq!(done.completed_at, Some(at(0)), "created completed");
    assert_eq!(open.completed_at, None, "created open");
    assert_eq!(
        completed.completed_at,
        Some(at(5)),
        "completed by an update"
    );
    assert_eq!(renamed.completed_at, Some(at(5)), "kept while completed");
    assert_eq!(reopened.completed_at, None, "reopened by a toggle");
    assert_eq!(
        completed_again.completed_at,
        Some(at(11)),
        "completed by a toggle"
    );
    assert_eq!(undone.completed_at, None, "reopened by an update");
    let read = stored(storage, ada, open.id).await.expect("still there");
    assert_eq!(read.completed_at, Some(at(11)), "read back");
}
