//! Planning fields in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: the priority, the completion time and the due time.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};

use super::{bearer, completion, create, create_with, listed, new_task, sort, stored};
use crate::task::{Due, Precondition, Priority, TaskChanges, TaskId, TaskQuery, TimeZone, Title};
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

fn december(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .single()
        .expect("a time")
}

/// A due date or time is stored with its time zone, changed and cleared;
/// listings sort by it (tasks without one last, in both directions) and
/// keep those due in `[due_after, due_before)`.
pub async fn the_due_time_is_stored_sorted_and_filtered(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let paris = TimeZone::parse("Europe/Paris").expect("a time zone");
    let utc = TimeZone::default();
    let due = |title: &str, due: Due, time_zone: TimeZone| {
        let mut task = new_task(title, None, false);
        task.due = Some(due);
        task.time_zone = time_zone;
        task
    };
    let seventh = Due::Date(NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date"));
    let all_day = create_with(storage, ada, due("All day", seventh, paris), 0).await;
    let noon = due("Noon", Due::At(december(6, 12)), utc);
    let noon = create_with(storage, ada, noon, 1).await;
    let undated = create(storage, ada, "Undated", 2).await;
    let later = due("Later", Due::At(december(8, 0)), utc);
    let later = create_with(storage, ada, later, 3).await;
    let cleared = due("Cleared", Due::At(december(1, 0)), paris);
    let cleared = create_with(storage, ada, cleared, 4).await;
    let cleared = storage
        .tasks
        .update(
            &ada,
            cleared.id,
            TaskChanges {
                due: Some(None),
                time_zone: Some(utc),
                ..TaskChanges::default()
            },
            Precondition::None,
            at(10),
        )
        .await
        .expect("updated");
    let query = |raw_sort: &str, after: Option<u32>, before: Option<u32>| TaskQuery {
        sort: sort(raw_sort),
        due_after: after.map(|day| december(day, 0)),
        due_before: before.map(|day| december(day, 0)),
        ..TaskQuery::default()
    };
    let mut undated_ids = vec![undated.id, cleared.id];
    undated_ids.sort();
    let mut undated_descending = undated_ids.clone();
    undated_descending.reverse();
    let dated_ascending = vec![noon.id, all_day.id, later.id];
    let mut dated_descending = dated_ascending.clone();
    dated_descending.reverse();
    let mut from_seventh: Vec<TaskId> = vec![all_day.id, later.id];
    from_seventh.sort();

    let read = stored(storage, ada, all_day.id).await.expect("still there");
    assert_eq!(
        (read.due, read.time_zone),
        (Some(seventh), paris),
        "read back"
    );
    assert_eq!((cleared.due, cleared.time_zone), (None, utc), "cleared");
    assert_eq!(
        listed(storage, ada, &query("due", None, None)).await,
        ([dated_ascending, undated_ids].concat(), 5),
        "soonest first, undated last"
    );
    assert_eq!(
        listed(storage, ada, &query("-due", None, None)).await,
        ([dated_descending, undated_descending].concat(), 5),
        "latest first, undated still last"
    );
    assert_eq!(
        listed(storage, ada, &query("id", None, Some(7))).await,
        (vec![noon.id], 1),
        "a date is due from its midnight in UTC"
    );
    assert_eq!(
        listed(storage, ada, &query("due", Some(7), Some(8))).await,
        (vec![all_day.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &query("id", Some(7), None)).await,
        (from_seventh, 2)
    );
}

/// `overdue` keeps the open tasks past their deadline at the query's
/// `now` (a date's ends at the next midnight in the task's time zone),
/// or the others; changing only the date or only the time zone moves the
/// deadline as both say.
pub async fn overdue_tasks_are_open_and_past_their_deadline(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let zone = |name: &str| TimeZone::parse(name).expect("a time zone");
    let due = |title: &str, due: Due, time_zone: TimeZone, completed: bool| {
        let mut task = new_task(title, None, completed);
        task.due = Some(due);
        task.time_zone = time_zone;
        task
    };
    let christmas_eve = Due::Date(NaiveDate::from_ymd_opt(2026, 12, 24).expect("a date"));
    // Kiritimati (UTC+14) ends the 24th at 10:00 UTC, Los Angeles at 08:00
    // UTC on the 25th.
    let east = due("East", christmas_eve, zone("Pacific/Kiritimati"), false);
    let east = create_with(storage, ada, east, 0).await;
    let west = due("West", christmas_eve, zone("America/Los_Angeles"), false);
    let west = create_with(storage, ada, west, 1).await;
    let noon = due(
        "Noon",
        Due::At(december(24, 12)),
        TimeZone::default(),
        false,
    );
    let noon = create_with(storage, ada, noon, 2).await;
    let done = due("Done", christmas_eve, zone("Pacific/Kiritimati"), true);
    let done = create_with(storage, ada, done, 3).await;
    let undated = create(storage, ada, "Undated", 4).await;
    let query = |overdue: bool, day: u32, hour: u32| TaskQuery {
        overdue: Some(overdue),
        now: december(day, hour),
        sort: sort("id"),
        ..TaskQuery::default()
    };

    assert_eq!(
        listed(storage, ada, &query(true, 24, 11)).await,
        (vec![east.id], 1),
        "past midnight in Kiritimati only"
    );
    assert_eq!(
        listed(storage, ada, &query(true, 25, 9)).await,
        (vec![east.id, west.id, noon.id], 3)
    );
    assert_eq!(
        listed(storage, ada, &query(false, 24, 11)).await,
        (vec![west.id, noon.id, done.id, undated.id], 4),
        "the others: not yet, completed, or not due"
    );

    let write = |id: TaskId, changes: TaskChanges| async move {
        storage
            .tasks
            .update(&ada, id, changes, Precondition::None, at(10))
            .await
            .expect("updated")
    };
    write(
        west.id,
        TaskChanges {
            time_zone: Some(zone("Pacific/Kiritimati")),
            ..TaskChanges::default()
        },
    )
    .await;
    let earlier = Due::Date(NaiveDate::from_ymd_opt(2026, 12, 23).expect("a date"));
    write(
        noon.id,
        TaskChanges {
            due: Some(Some(earlier)),
            ..TaskChanges::default()
        },
    )
    .await;
    assert_eq!(
        listed(storage, ada, &query(true, 24, 11)).await,
        (vec![east.id, west.id, noon.id], 3),
        "a time zone alone and a date alone move the deadline"
    );
}
