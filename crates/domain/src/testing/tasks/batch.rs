//! Batches in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: every op written, or none.

use chrono::{NaiveDate, TimeZone as _, Utc};

use super::{bearer, completion, create, create_with, listed, new_task, stored};
use crate::Error;
use crate::bearer::Bearer;
use crate::label::{LabelName, TaskLabels};
use crate::task::{Due, NewTask, Precondition, Priority, Task, TaskOp, TaskQuery, TimeZone};
use crate::testing::{Storage, at};

/// A batch writes its ops in order, each as its own method would; when one
/// is refused, nothing at all is written (not even the labels a create
/// named) and that op is named.
pub async fn a_batch_writes_every_op_or_none(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let first = create(storage, ada, "First", 0).await;
    let doomed = create(storage, ada, "Doomed", 1).await;
    let mut labelled = new_task("Labelled", None, false);
    labelled.labels =
        TaskLabels::new(vec![LabelName::parse("Fresh").expect("a name")]).expect("one label");
    let ops = vec![
        TaskOp::Create(labelled.clone()),
        TaskOp::Update {
            id: first.id,
            changes: completion(true),
            precondition: Precondition::Version(1),
        },
        TaskOp::Toggle {
            id: first.id,
            precondition: Precondition::Version(2),
        },
        TaskOp::Delete {
            id: doomed.id,
            precondition: Precondition::None,
        },
    ];
    let written = storage
        .tasks
        .apply_all(&ada, ops, at(5))
        .await
        .expect("reached storage")
        .expect("every op written");
    let summary: Vec<_> = written
        .iter()
        .map(|t| {
            t.as_ref()
                .map(|t| (t.title.clone(), t.completed, t.version))
        })
        .collect();
    assert_eq!(
        summary,
        [
            Some(("Labelled".to_owned(), false, 1)),
            Some(("First".to_owned(), true, 2)),
            Some(("First".to_owned(), false, 3)),
            None,
        ]
    );
    assert_eq!(stored(storage, ada, doomed.id).await, None);

    let mut named = new_task("Never", None, false);
    named.labels =
        TaskLabels::new(vec![LabelName::parse("Never made").expect("a name")]).expect("one");
    let ops = vec![
        TaskOp::Create(named),
        TaskOp::Update {
            id: first.id,
            changes: completion(true),
            precondition: Precondition::None,
        },
        TaskOp::Toggle {
            id: first.id,
            precondition: Precondition::Version(1),
        },
        TaskOp::Create(new_task("Not reached", None, false)),
    ];
    let refused = storage
        .tasks
        .apply_all(&ada, ops, at(6))
        .await
        .expect("reached storage");
    let Err(refusal) = refused else {
        panic!("a stale version refuses the batch: {refused:?}");
    };
    assert_eq!(refusal.index, 2);
    assert!(
        matches!(refusal.error, Error::PreconditionFailed),
        "{refusal:?}"
    );
    assert_eq!(
        stored(storage, ada, first.id)
            .await
            .map(|t| (t.completed, t.version)),
        Some((false, 3)),
        "the update before the refused op was not written"
    );
    assert_eq!(listed(storage, ada, &TaskQuery::default()).await.1, 2);
    let labels = storage.labels.list(&ada).await.expect("listed");
    assert_eq!(labels.len(), 1, "only the first batch's label: {labels:?}");
}

/// Another owner's task in a batch is refused as missing, and nothing of
/// the batch is written.
pub async fn a_batch_cannot_touch_another_owners_task(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let bobs = create(storage, bob, "Bob's", 0).await;
    let ops = vec![
        TaskOp::Create(new_task("Mine", None, false)),
        TaskOp::Delete {
            id: bobs.id,
            precondition: Precondition::None,
        },
    ];
    let refused = storage
        .tasks
        .apply_all(&ada, ops, at(1))
        .await
        .expect("reached storage");
    assert!(
        matches!(&refused, Err(r) if r.index == 1 && matches!(r.error, Error::NotFound)),
        "{refused:?}"
    );
    assert!(stored(storage, bob, bobs.id).await.is_some());
    assert_eq!(listed(storage, ada, &TaskQuery::default()).await.1, 0);
}

/// Creates in a batch go after the owner's top-level tasks, in the order
/// of the batch, each with its own id and key.
pub async fn creates_in_a_batch_go_last_in_order(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let existing = create(storage, ada, "Existing", 0).await;
    let ops = ["One", "Two", "Three"]
        .map(|title| TaskOp::Create(new_task(title, None, false)))
        .to_vec();
    let written = storage
        .tasks
        .apply_all(&ada, ops, at(1))
        .await
        .expect("reached storage")
        .expect("written");
    let created: Vec<_> = written.into_iter().flatten().collect();
    let titles: Vec<&str> = created.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["One", "Two", "Three"]);
    let mut keys = vec![existing.position];
    keys.extend(created.iter().map(|t| t.position));
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    let query = TaskQuery {
        top_level: Some(true),
        sort: "position".parse().expect("a sort"),
        ..TaskQuery::default()
    };
    let mut ids = vec![existing.id];
    ids.extend(created.iter().map(|t| t.id));
    assert_eq!(listed(storage, ada, &query).await, (ids, 4));
}

/// Tasks created in a batch are stored as single creates store them: every
/// field (times as precisely as the storage keeps them), read back alike.
pub async fn batched_creates_store_what_single_creates_store(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let at_nanos = Utc
        .with_ymd_and_hms(2031, 3, 30, 23, 59, 58)
        .single()
        .expect("a time")
        + chrono::Duration::nanoseconds(123_456_789);
    let date = NaiveDate::from_ymd_opt(2031, 3, 30).expect("a date");
    let paris = TimeZone::parse("Europe/Paris").expect("a zone");
    let variants: Vec<NewTask> = vec![
        new_task("Plain", None, false),
        NewTask {
            priority: Priority::new(4).expect("a priority"),
            due: Some(Due::At(at_nanos)),
            ..new_task(
                "Due at an instant",
                Some("with \"quotes\", \\ and ✓"),
                false,
            )
        },
        NewTask {
            due: Some(Due::Date(date)),
            time_zone: paris,
            ..new_task("Due on a day in Paris", Some(""), true)
        },
    ];
    let singles = created_one_by_one(storage, ada, &variants).await;
    let ops = variants.iter().cloned().map(TaskOp::Create).collect();
    let batched: Vec<_> = storage
        .tasks
        .apply_all(&ada, ops, at(2))
        .await
        .expect("reached storage")
        .expect("written")
        .into_iter()
        .map(|task| task.expect("a created task"))
        .collect();
    assert_eq!(batched.len(), variants.len());
    for (single, made) in singles.iter().zip(&batched) {
        assert_eq!(stored(storage, ada, made.id).await.as_ref(), Some(made));
        let unplaced = |task: &Task| {
            let mut task = task.clone();
            (task.id, task.position) = (made.id, made.position);
            (task.created_at, task.updated_at) = (made.created_at, made.updated_at);
            task.completed_at = task.completed_at.map(|_| made.created_at);
            task
        };
        assert_eq!(&unplaced(single), made, "as a single create stores it");
    }
    assert_eq!(batched[2].completed_at, Some(at(2)));
}

/// Each of `tasks` created on its own, at second 1.
async fn created_one_by_one(storage: &Storage, owner: Bearer, tasks: &[NewTask]) -> Vec<Task> {
    let mut created = Vec::new();
    for task in tasks {
        created.push(create_with(storage, owner, task.clone(), 1).await);
    }
    created
}
