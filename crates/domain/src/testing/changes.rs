//! The [`ChangeFeed`](crate::changes::ChangeFeed) contract: what the task
//! and label writes record, and what the feed and the activity give.

use std::collections::BTreeMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use super::tasks::{bearer, new_task};
use super::{Storage, at};
use crate::bearer::Bearer;
use crate::changes::{ActivityQuery, ChangeSeq, Changed, FeedPage, FeedQuery};
use crate::label::{LabelChanges, LabelName, NewLabel, TaskLabels};
use crate::task::{NewTask, Precondition, Task, TaskChanges, TaskId, TaskQuery, Title};

/// `(kind, id, action, fields)` of a change, sortable.
type Entry = (&'static str, i64, &'static str, Vec<String>);

fn title(raw: &str) -> TaskChanges {
    TaskChanges {
        title: Some(Title::parse(raw).expect("a valid title")),
        ..TaskChanges::default()
    }
}

fn entry(kind: Changed, id: i64, action: &'static str, fields: &[&str]) -> Entry {
    let fields = fields.iter().map(|f| (*f).to_owned()).collect();
    (kind.as_str(), id, action, fields)
}

async fn create(storage: &Storage, owner: Bearer, task: NewTask, seconds: i64) -> Task {
    storage
        .tasks
        .create(&owner, task, at(seconds))
        .await
        .expect("created")
        .expect("a live bearer's task")
}

/// The changes recorded after `after`, as a sorted list of entries (a
/// statement that writes several rows may record them in any order), and
/// the last one's position; asserts they are numbered one by one.
async fn recorded_after(
    storage: &Storage,
    owner: Bearer,
    after: ChangeSeq,
) -> (Vec<Entry>, ChangeSeq) {
    let query = ActivityQuery {
        before: None,
        limit: 1_000,
    };
    let mut changes = storage.changes.activity(&owner, query).await.expect("read");
    changes.retain(|change| change.seq > after);
    changes.reverse();
    for (change, expected) in changes.iter().zip(after.get() + 1..) {
        assert_eq!(
            change.seq,
            ChangeSeq::new(expected),
            "numbered one by one: {changes:?}"
        );
    }
    let last = changes.last().map_or(after, |change| change.seq);
    let mut entries: Vec<Entry> = changes
        .into_iter()
        .map(|change| {
            let action = change.action.as_str();
            (change.kind.as_str(), change.id, action, change.fields)
        })
        .collect();
    entries.sort();
    (entries, last)
}

/// Every write of a task or label is one change per row it changes, in
/// the order of the writes, saying what happened and which fields; a
/// write that changes nothing records nothing.
pub async fn every_write_is_recorded_once_per_row(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let tasks = &storage.tasks;
    let mut seen = ChangeSeq::START;
    let mut step = async |expected: Vec<Entry>, what: &str| {
        let (mut got, last) = recorded_after(storage, ada, seen).await;
        let mut expected = expected;
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{what}");
        seen = last;
    };
    let labelled = NewTask {
        labels: TaskLabels::new(vec![LabelName::parse("Home").expect("a name")]).expect("few"),
        ..new_task("Root", None, false)
    };
    let root = create(storage, ada, labelled, 1).await;
    let home = storage.labels.list(&ada).await.expect("listed")[0].clone();
    step(
        vec![
            entry(Changed::Label, home.id.get(), "created", &[]),
            entry(Changed::Task, root.id.get(), "created", &[]),
        ],
        "a create that makes a label",
    )
    .await;
    let child = NewTask {
        parent: Some(root.id),
        ..new_task("Child", None, false)
    };
    let child = create(storage, ada, child, 2).await;
    step(
        vec![entry(Changed::Task, child.id.get(), "created", &[])],
        "a subtask",
    )
    .await;
    tasks
        .update(&ada, root.id, title("Renamed"), Precondition::None, at(3))
        .await
        .expect("updated");
    tasks
        .update(&ada, root.id, title("Renamed"), Precondition::None, at(4))
        .await
        .expect("kept");
    step(
        vec![entry(Changed::Task, root.id.get(), "updated", &["title"])],
        "an update, then one that changes nothing",
    )
    .await;
    tasks
        .toggle(&ada, child.id, Precondition::None, at(5))
        .await
        .expect("toggled");
    step(
        vec![entry(
            Changed::Task,
            child.id.get(),
            "updated",
            &["completed"],
        )],
        "a toggle",
    )
    .await;
    let rename = LabelChanges {
        name: Some(LabelName::parse("House").expect("a name")),
        color: None,
    };
    storage
        .labels
        .update(&ada, home.id, rename, at(6))
        .await
        .expect("renamed");
    step(
        vec![
            entry(Changed::Label, home.id.get(), "updated", &["name"]),
            entry(Changed::Task, root.id.get(), "updated", &["labels"]),
        ],
        "a label's rename changes the tasks that carry it",
    )
    .await;
    tasks
        .delete(&ada, root.id, Precondition::None, at(7))
        .await
        .expect("deleted");
    step(
        vec![
            entry(Changed::Task, root.id.get(), "deleted", &[]),
            entry(Changed::Task, child.id.get(), "deleted", &[]),
        ],
        "a delete takes the subtasks to the trash",
    )
    .await;
    tasks
        .restore(&ada, root.id, Precondition::None, at(8))
        .await
        .expect("restored");
    step(
        vec![
            entry(Changed::Task, root.id.get(), "restored", &[]),
            entry(Changed::Task, child.id.get(), "restored", &[]),
        ],
        "a restore",
    )
    .await;
    tasks
        .delete(&ada, root.id, Precondition::None, at(9))
        .await
        .expect("deleted");
    tasks.purge(&ada, root.id, at(10)).await.expect("purged");
    step(
        vec![
            entry(Changed::Task, root.id.get(), "deleted", &[]),
            entry(Changed::Task, child.id.get(), "deleted", &[]),
            entry(Changed::Task, root.id.get(), "purged", &[]),
            entry(Changed::Task, child.id.get(), "purged", &[]),
        ],
        "a purge",
    )
    .await;
    storage
        .labels
        .delete(&ada, home.id, at(11))
        .await
        .expect("deleted");
    step(
        vec![entry(Changed::Label, home.id.get(), "deleted", &[])],
        "a label's deletion",
    )
    .await;
    let latest = storage.changes.head(&ada).await.expect("read");
    assert_eq!(latest, Some(seen), "the head is the latest change");
}

/// The feed after `since`; a snapshot without it.
async fn feed(storage: &Storage, owner: Bearer, since: Option<ChangeSeq>, limit: u32) -> FeedPage {
    let query = FeedQuery {
        since: since.unwrap_or(ChangeSeq::START),
        snapshot: since.is_none(),
        limit,
    };
    storage
        .changes
        .feed(&owner, query)
        .await
        .expect("read")
        .expect("a live bearer's feed")
}

fn ids(tasks: &[Task]) -> Vec<TaskId> {
    tasks.iter().map(|task| task.id).collect()
}

/// The feed gives each task and label changed after a position once, in
/// its latest state, and every deletion; a snapshot leaves out what is
/// deleted; pages of `limit` entries neither lose nor repeat one.
pub async fn the_feed_gives_each_change_once_and_every_deletion(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let tasks = &storage.tasks;
    let a = create(storage, ada, new_task("A", None, false), 1).await;
    let b = create(storage, ada, new_task("B", None, false), 2).await;
    let c = create(storage, ada, new_task("C", None, false), 3).await;
    tasks
        .delete(&ada, c.id, Precondition::None, at(4))
        .await
        .expect("deleted");

    let snapshot = feed(storage, ada, None, 100).await;
    assert_eq!(ids(&snapshot.tasks), vec![a.id, b.id], "no deleted task");
    assert!(
        snapshot.deleted.is_empty() && !snapshot.has_more,
        "{snapshot:?}"
    );
    let head = storage.changes.head(&ada).await.expect("read");
    assert_eq!(
        Some(snapshot.reached),
        head,
        "a whole snapshot reaches the head"
    );

    for second in 5..8 {
        tasks
            .update(
                &ada,
                a.id,
                title(&format!("A{second}")),
                Precondition::None,
                at(second),
            )
            .await
            .expect("updated");
    }
    tasks
        .delete(&ada, b.id, Precondition::None, at(8))
        .await
        .expect("deleted");
    let delta = feed(storage, ada, Some(snapshot.reached), 100).await;
    assert_eq!(delta.tasks.len(), 1, "A once: {delta:?}");
    assert_eq!(delta.tasks[0].title, "A7", "in its latest state");
    let deleted: Vec<(i64, _)> = delta.deleted.iter().map(|d| (d.id, d.deleted_at)).collect();
    assert_eq!(deleted, vec![(b.id.get(), at(8))]);

    tasks.purge(&ada, b.id, at(9)).await.expect("purged");
    let after = feed(storage, ada, Some(delta.reached), 100).await;
    assert!(after.tasks.is_empty(), "{after:?}");
    assert_eq!(after.deleted.len(), 1, "a tombstone: {after:?}");
    assert_eq!(
        (after.deleted[0].kind, after.deleted[0].id),
        (Changed::Task, b.id.get())
    );
    let nothing = feed(storage, ada, Some(after.reached), 100).await;
    assert_eq!(
        nothing,
        FeedPage {
            reached: after.reached,
            ..FeedPage::default()
        }
    );

    let d = create(storage, ada, new_task("D", None, false), 10).await;
    let mut paged = Vec::new();
    let mut since = ChangeSeq::START;
    loop {
        let query = FeedQuery {
            since,
            snapshot: true,
            limit: 1,
        };
        let page = storage
            .changes
            .feed(&ada, query)
            .await
            .expect("read")
            .expect("live");
        assert!(page.deleted.is_empty() && page.tasks.len() <= 1, "{page:?}");
        paged.extend(ids(&page.tasks));
        since = page.reached;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(paged, vec![a.id, d.id], "a snapshot in pages of one");
}

/// Another user's writes are not in the bearer's feed, head or activity;
/// a bearer that is not live reads nothing.
pub async fn another_owners_changes_are_out_of_reach(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    create(storage, ada, new_task("Ada's", None, false), 1).await;
    let label = NewLabel {
        name: LabelName::parse("Ada's").expect("a name"),
        color: None,
    };
    storage
        .labels
        .create(&ada, label, at(2))
        .await
        .expect("made");

    let page = feed(storage, bob, None, 100).await;
    assert_eq!(page, FeedPage::default(), "nothing of Ada's");
    let query = ActivityQuery {
        before: None,
        limit: 100,
    };
    let activity = storage.changes.activity(&bob, query).await.expect("read");
    assert!(activity.is_empty(), "{activity:?}");
    assert_eq!(
        storage.changes.head(&bob).await.expect("read"),
        Some(ChangeSeq::START)
    );

    let stale = Bearer {
        token_version: ada.token_version + 1,
        ..ada
    };
    assert_eq!(storage.changes.head(&stale).await.expect("read"), None);
    let none = storage
        .changes
        .feed(
            &stale,
            FeedQuery {
                since: ChangeSeq::START,
                snapshot: true,
                limit: 10,
            },
        )
        .await;
    assert_eq!(none.expect("read"), None);
    let empty = storage.changes.activity(&stale, query).await.expect("read");
    assert!(empty.is_empty(), "{empty:?}");
}

/// A listing's page carries the owner's latest change as of the page,
/// the same as [`ChangeFeed::head`](crate::changes::ChangeFeed::head)
/// reads, and another owner's writes do not move it; the adapters here
/// read it with every page that has a task.
pub async fn a_listing_carries_the_owners_latest_change(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let first = create(storage, ada, new_task("First", None, false), 1).await;
    create(storage, ada, new_task("Second", None, false), 2).await;
    let listed = |owner: Bearer| async move {
        storage
            .tasks
            .list(&owner, &TaskQuery::default())
            .await
            .expect("listed")
    };

    let before = listed(ada).await;
    let head = storage.changes.head(&ada).await.expect("read");
    assert_eq!(before.latest, head, "the page's latest is the head");
    create(storage, bob, new_task("Bob's", None, false), 3).await;
    assert_eq!(listed(ada).await.latest, head, "Bob's write is not Ada's");

    storage
        .tasks
        .update(&ada, first.id, title("Renamed"), Precondition::None, at(4))
        .await
        .expect("renamed");
    let after = listed(ada).await;
    assert!(after.latest > before.latest, "{after:?} after {before:?}");
    assert_eq!(
        after.latest,
        storage.changes.head(&ada).await.expect("read")
    );
}

/// Forgetting old changes drops them from the activity, not the rows'
/// place in the feed.
pub async fn forgetting_old_changes_keeps_the_feed_whole(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let a = create(storage, ada, new_task("A", None, false), 1).await;
    let b = create(storage, ada, new_task("B", None, false), 20).await;

    let forgotten = storage
        .changes
        .forget_before(at(10))
        .await
        .expect("forgotten");

    assert_eq!(forgotten, 1);
    let query = ActivityQuery {
        before: None,
        limit: 100,
    };
    let left = storage.changes.activity(&ada, query).await.expect("read");
    assert_eq!(
        left.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![b.id.get()]
    );
    assert_eq!(
        ids(&feed(storage, ada, None, 100).await.tasks),
        vec![a.id, b.id]
    );
}

/// Lets the other futures of a [`join_all`] run once.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// Runs every future at once, interleaved at their await points.
async fn join_all(mut futures: Vec<Pin<Box<dyn Future<Output = ()> + Send + '_>>>) {
    poll_fn(|cx| {
        futures.retain_mut(|future| future.as_mut().poll(cx).is_pending());
        if futures.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Ten writers at once and a reader that syncs meanwhile: the copy the
/// reader builds from the feed alone ends equal to the owner's tasks.
/// (A change numbered below one the reader has seen, committed after it
/// read, would be lost from the copy.)
pub async fn a_reader_syncing_during_concurrent_writes_ends_with_every_task(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let done = Arc::new(AtomicBool::new(false));
    let writers = (0..10).map(|writer: i64| {
        Box::pin(async move {
            let mut mine = Vec::new();
            for round in 0..6 {
                let seconds = writer * 100 + round;
                let task = create(
                    storage,
                    ada,
                    new_task(&format!("w{writer}r{round}"), None, false),
                    seconds,
                )
                .await;
                mine.push(task.id);
                if round % 2 == 1 {
                    storage
                        .tasks
                        .update(
                            &ada,
                            mine[0],
                            title(&format!("w{writer} at {round}")),
                            Precondition::None,
                            at(seconds),
                        )
                        .await
                        .expect("updated");
                }
                if round == 4 {
                    storage
                        .tasks
                        .delete(&ada, mine[1], Precondition::None, at(seconds))
                        .await
                        .expect("deleted");
                }
            }
        }) as Pin<Box<dyn Future<Output = ()> + Send + '_>>
    });
    let mut copy: BTreeMap<TaskId, Task> = BTreeMap::new();
    let mut since = None;
    let reader = {
        let done = done.clone();
        let copy = &mut copy;
        let since = &mut since;
        async move {
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = feed(storage, ada, *since, 7).await;
                for task in page.tasks {
                    copy.insert(task.id, task);
                }
                for deletion in page.deleted {
                    copy.remove(&TaskId::new(deletion.id).expect("an id"));
                }
                *since = Some(page.reached);
                if finished && !page.has_more {
                    break;
                }
                yield_now().await;
            }
        }
    };
    let writing = async {
        join_all(writers.collect()).await;
        done.store(true, Ordering::SeqCst);
    };
    join_all(vec![Box::pin(writing), Box::pin(reader)]).await;

    let everything = TaskQuery {
        limit: crate::task::PageLimit::new(500).expect("a limit"),
        ..TaskQuery::default()
    };
    let listed = storage.tasks.list(&ada, &everything).await.expect("listed");
    let copied: Vec<Task> = copy.into_values().collect();
    let mut listed = listed.tasks;
    listed.sort_by_key(|task| task.id);
    assert_eq!(listed.len(), 50, "60 made, 10 deleted");
    assert_eq!(copied, listed, "the copy built from the feed");
}
