//! The trash in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: deleted tasks are kept, listed, restored and purged, each
//! only by their owner.

use super::{bearer, create, create_with, listed, new_task, stored};
use crate::Error;
use crate::bearer::Bearer;
use crate::task::{
    NewTask, PageLimit, Placement, Precondition, Slot, StoredKey, Task, TaskChanges, TaskId,
    TaskQuery, TrashQuery,
};
use crate::testing::{Storage, at};

/// A subtask of `parent` for `owner`, created at second 1.
async fn subtask(storage: &Storage, owner: Bearer, title: &str, parent: TaskId) -> Task {
    let task = NewTask {
        parent: Some(parent),
        ..new_task(title, None, false)
    };
    create_with(storage, owner, task, 1).await
}

/// The ids the owner's trash lists, in order, and its total.
async fn trashed(storage: &Storage, owner: Bearer) -> (Vec<TaskId>, u64) {
    let page = storage
        .tasks
        .trash(&owner, &TrashQuery::default())
        .await
        .expect("trash listed");
    let ids = page.tasks.iter().map(|t| t.task.id).collect();
    (ids, page.total)
}

/// A deleted task leaves the listing and `get` with its subtasks; the
/// trash lists it (not its subtasks), newest deletion first, as it was and
/// when; restoring brings it back with them, one version more.
pub async fn a_deleted_task_waits_in_the_trash_until_restored(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let root = create(storage, ada, "Root", 0).await;
    let child = subtask(storage, ada, "Child", root.id).await;
    let grandchild = subtask(storage, ada, "Grandchild", child.id).await;
    let other = create(storage, ada, "Other", 2).await;

    let tasks = &storage.tasks;
    tasks
        .delete(&ada, root.id, Precondition::Version(1), at(10))
        .await
        .expect("deleted");
    tasks
        .delete(&ada, other.id, Precondition::None, at(20))
        .await
        .expect("deleted");

    assert_eq!(
        listed(storage, ada, &TaskQuery::default()).await,
        (vec![], 0)
    );
    for id in [root.id, child.id, grandchild.id] {
        assert_eq!(stored(storage, ada, id).await, None, "{id:?} is not read");
    }
    assert_eq!(trashed(storage, ada).await, (vec![other.id, root.id], 2));
    let page = tasks
        .trash(&ada, &TrashQuery::default())
        .await
        .expect("listed");
    assert_eq!(
        (page.tasks[1].task.clone(), page.tasks[1].deleted_at),
        (root.clone(), at(10))
    );

    let stale = tasks
        .restore(&ada, root.id, Precondition::Version(2), at(30))
        .await;
    assert!(matches!(stale, Err(Error::PreconditionFailed)), "{stale:?}");
    let nested = tasks
        .restore(&ada, child.id, Precondition::None, at(30))
        .await;
    assert!(
        matches!(nested, Err(Error::NotFound)),
        "only what the trash lists: {nested:?}"
    );
    let back = tasks
        .restore(&ada, root.id, Precondition::Version(1), at(30))
        .await
        .expect("restored");

    assert_eq!(
        (back.version, back.updated_at, back.parent),
        (2, at(30), None)
    );
    for id in [child.id, grandchild.id] {
        let task = stored(storage, ada, id)
            .await
            .expect("back with its parent");
        assert_eq!((task.version, task.updated_at), (2, at(30)));
    }
    assert_eq!(trashed(storage, ada).await, (vec![other.id], 1));
    let again = tasks
        .restore(&ada, root.id, Precondition::None, at(31))
        .await;
    assert!(matches!(again, Err(Error::NotFound)), "{again:?}");
}

/// A subtask deleted on its own comes back under its parent, or at the top
/// level, last, when its parent has been deleted since.
pub async fn a_restored_subtask_whose_parent_is_gone_comes_back_at_the_top(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let parent = create(storage, ada, "Parent", 0).await;
    let first = subtask(storage, ada, "First", parent.id).await;
    let second = subtask(storage, ada, "Second", parent.id).await;
    let last = create(storage, ada, "Last", 2).await;
    let tasks = &storage.tasks;

    tasks
        .delete(&ada, first.id, Precondition::None, at(10))
        .await
        .expect("deleted");
    let under = tasks
        .restore(&ada, first.id, Precondition::None, at(11))
        .await
        .expect("restored");
    assert_eq!(
        (under.parent, under.position),
        (Some(parent.id), first.position)
    );

    tasks
        .delete(&ada, second.id, Precondition::None, at(12))
        .await
        .expect("deleted");
    tasks
        .delete(&ada, parent.id, Precondition::None, at(13))
        .await
        .expect("deleted");
    let top = tasks
        .restore(&ada, second.id, Precondition::None, at(14))
        .await
        .expect("restored");

    assert_eq!(top.parent, None);
    assert!(top.position > last.position, "{top:?} after {last:?}");
    assert_eq!(trashed(storage, ada).await, (vec![parent.id], 1));
}

/// A deleted subtree that would go past the depth limit under its parent
/// (moved deeper since) comes back at the top level instead.
pub async fn a_restored_task_that_would_be_too_deep_comes_back_at_the_top(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let parent = create(storage, ada, "Parent", 0).await;
    let child = subtask(storage, ada, "Child", parent.id).await;
    let grandchild = subtask(storage, ada, "Grandchild", child.id).await;
    subtask(storage, ada, "Great-grandchild", grandchild.id).await;
    let holder = create(storage, ada, "Holder", 2).await;
    let tasks = &storage.tasks;
    tasks
        .delete(&ada, child.id, Precondition::None, at(10))
        .await
        .expect("deleted");
    let under_holder = TaskChanges {
        placement: Some(Placement {
            parent: Some(Some(holder.id)),
            slot: Slot::Kept,
        }),
        ..TaskChanges::default()
    };
    tasks
        .update(&ada, parent.id, under_holder, Precondition::None, at(11))
        .await
        .expect("moved one level down");

    let back = tasks
        .restore(&ada, child.id, Precondition::None, at(12))
        .await
        .expect("restored");

    assert_eq!(
        back.parent, None,
        "five levels under the holder would be too deep"
    );
    let below = stored(storage, ada, grandchild.id)
        .await
        .expect("back with it");
    assert_eq!(below.parent, Some(child.id));
}

/// Purging erases a deleted task and everything under it for good; only
/// what the trash lists can be purged, and a live task cannot.
pub async fn a_purged_task_is_gone_for_good(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let root = create(storage, ada, "Root", 0).await;
    let child = subtask(storage, ada, "Child", root.id).await;
    let live = create(storage, ada, "Live", 2).await;
    let tasks = &storage.tasks;

    let refused = tasks.purge(&ada, live.id, at(9)).await;
    assert!(matches!(refused, Err(Error::NotFound)), "{refused:?}");
    tasks
        .delete(&ada, child.id, Precondition::None, at(10))
        .await
        .expect("deleted");
    tasks
        .delete(&ada, root.id, Precondition::None, at(11))
        .await
        .expect("deleted");
    tasks.purge(&ada, root.id, at(9)).await.expect("purged");

    assert_eq!(
        trashed(storage, ada).await,
        (vec![], 0),
        "its subtask went with it"
    );
    let again = tasks.purge(&ada, root.id, at(9)).await;
    assert!(matches!(again, Err(Error::NotFound)), "{again:?}");
    let gone = tasks
        .restore(&ada, child.id, Precondition::None, at(12))
        .await;
    assert!(matches!(gone, Err(Error::NotFound)), "{gone:?}");
    assert_eq!(stored(storage, ada, live.id).await, Some(live));
}

/// Another user's trash is out of reach: not listed, not restored, not
/// purged, and a deleted task cannot be a parent.
pub async fn another_owners_trash_is_out_of_reach(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let adas = create(storage, ada, "Ada's", 0).await;
    let tasks = &storage.tasks;
    tasks
        .delete(&ada, adas.id, Precondition::None, at(10))
        .await
        .expect("deleted");

    assert_eq!(trashed(storage, bob).await, (vec![], 0));
    for precondition in [Precondition::None, Precondition::Version(1)] {
        let restore = tasks.restore(&bob, adas.id, precondition, at(11)).await;
        assert!(matches!(restore, Err(Error::NotFound)), "{restore:?}");
    }
    let purge = tasks.purge(&bob, adas.id, at(9)).await;
    assert!(matches!(purge, Err(Error::NotFound)), "{purge:?}");
    let under_deleted = NewTask {
        parent: Some(adas.id),
        ..new_task("Under a deleted task", None, false)
    };
    let refused = tasks.create(&ada, under_deleted, at(12)).await;
    assert!(matches!(refused, Err(Error::Placement(_))), "{refused:?}");
    assert_eq!(trashed(storage, ada).await, (vec![adas.id], 1));
}

/// The scheduled purge erases every user's tasks deleted before its time,
/// subtasks with them, and keeps the newer ones and every live task.
pub async fn the_trash_is_purged_of_what_was_deleted_before_a_time(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let old = create(storage, ada, "Old", 0).await;
    subtask(storage, ada, "Old child", old.id).await;
    let bobs_old = create(storage, bob, "Bob's old", 0).await;
    let recent = create(storage, ada, "Recent", 0).await;
    let live = create(storage, ada, "Live", 0).await;
    let tasks = &storage.tasks;
    tasks
        .delete(&ada, old.id, Precondition::None, at(10))
        .await
        .expect("deleted");
    tasks
        .delete(&bob, bobs_old.id, Precondition::None, at(19))
        .await
        .expect("deleted");
    tasks
        .delete(&ada, recent.id, Precondition::None, at(20))
        .await
        .expect("deleted");

    let purged = tasks
        .purge_deleted_before(at(20), at(21))
        .await
        .expect("purged");

    assert_eq!(purged, 3, "the old task, its subtask and Bob's");
    assert_eq!(trashed(storage, ada).await, (vec![recent.id], 1));
    assert_eq!(trashed(storage, bob).await, (vec![], 0));
    assert_eq!(stored(storage, ada, live.id).await, Some(live));
}

/// Every task of the owner's, live or in the trash (subtasks too), is
/// read once, in the order it was created (ties by id), a page at a time
/// from where the last page ended; none of another owner's.
pub async fn every_stored_task_is_read_once_in_the_order_it_was_created(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let late = create(storage, ada, "Late", 5).await;
    let early = create(storage, ada, "Early", 1).await;
    let child = subtask(storage, ada, "Child", early.id).await;
    let twin = create(storage, ada, "Twin", 1).await;
    create(storage, bob, "Bob's", 0).await;
    storage
        .tasks
        .delete(&ada, early.id, Precondition::None, at(10))
        .await
        .expect("deleted");

    let two = PageLimit::new(2).expect("a page size");
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let page = storage.tasks.stored(&ada, after, two).await.expect("read");
        let Some(last) = page.last() else { break };
        after = Some(StoredKey::of(&last.task));
        read.extend(page.into_iter().map(|s| (s.task, s.deleted_at)));
    }
    assert_eq!(
        read,
        [
            (early, Some(at(10))),
            (child, Some(at(10))),
            (twin, None),
            (late, None),
        ]
    );
}
