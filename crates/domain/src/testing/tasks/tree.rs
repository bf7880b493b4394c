//! Subtasks and manual order in the
//! [`TaskRepository`](crate::ports::TaskRepository) contract.

use super::{bearer, create, create_with, listed, new_task, sort, stored};
use crate::Error;
use crate::bearer::Bearer;
use crate::task::{
    Placement, PlacementError, Precondition, Slot, Task, TaskChanges, TaskId, TaskQuery,
};
use crate::testing::{Storage, at, join};

async fn subtask(storage: &Storage, owner: Bearer, title: &str, parent: TaskId) -> Task {
    let mut task = new_task(title, None, false);
    task.parent = Some(parent);
    create_with(storage, owner, task, 1).await
}

/// Moves `id` for `owner` at `seconds`.
async fn moved(
    storage: &Storage,
    owner: Bearer,
    id: TaskId,
    parent: Option<Option<TaskId>>,
    slot: Slot,
    seconds: i64,
) -> crate::Result<Task> {
    let changes = TaskChanges {
        placement: Some(Placement { parent, slot }),
        ..TaskChanges::default()
    };
    storage
        .tasks
        .update(&owner, id, changes, Precondition::None, at(seconds))
        .await
}

fn children_of(parent: TaskId) -> TaskQuery {
    TaskQuery {
        parent: Some(parent),
        sort: sort("position"),
        ..TaskQuery::default()
    }
}

fn by_level(top_level: bool) -> TaskQuery {
    TaskQuery {
        top_level: Some(top_level),
        sort: sort("id"),
        ..TaskQuery::default()
    }
}

fn is_placement(result: &crate::Result<Task>, expected: PlacementError) -> bool {
    matches!(result, Err(Error::Placement(found)) if *found == expected)
}

/// A subtask is created under one of the owner's tasks, at most four
/// levels deep; another owner's task or a missing one is refused like
/// each other. Listings filter by level and by parent.
pub async fn subtasks_nest_under_the_owners_tasks_at_most_four_levels_deep(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let root = create(storage, ada, "Level 1", 0).await;
    let two = subtask(storage, ada, "Level 2", root.id).await;
    let three = subtask(storage, ada, "Level 3", two.id).await;
    let four = subtask(storage, ada, "Level 4", three.id).await;
    let sibling = subtask(storage, ada, "Level 2 too", root.id).await;
    let bobs = create(storage, bob, "Bob's", 0).await;

    let mut five = new_task("Level 5", None, false);
    five.parent = Some(four.id);
    let too_deep = storage.tasks.create(&ada, five, at(2)).await;
    assert!(
        matches!(too_deep, Err(Error::Placement(PlacementError::TooDeep))),
        "a fifth level is refused: {too_deep:?}"
    );
    for parent in [bobs.id, TaskId::new(bobs.id.get() + 100).expect("an id")] {
        let mut orphan = new_task("Orphan", None, false);
        orphan.parent = Some(parent);
        let refused = storage.tasks.create(&ada, orphan, at(2)).await;
        assert!(
            matches!(
                refused,
                Err(Error::Placement(PlacementError::UnknownParent))
            ),
            "another owner's task and a missing one are refused alike: {refused:?}"
        );
    }

    assert_eq!((root.parent, two.parent), (None, Some(root.id)));
    assert_eq!(
        listed(storage, ada, &children_of(root.id)).await,
        (vec![two.id, sibling.id], 2),
        "the children of one task, in order"
    );
    assert_eq!(
        listed(storage, ada, &by_level(true)).await,
        (vec![root.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &by_level(false)).await,
        (vec![two.id, three.id, four.id, sibling.id], 4)
    );
    assert_eq!(
        listed(storage, bob, &children_of(root.id)).await,
        (vec![], 0),
        "another owner's children are never listed"
    );
}

/// A move under the task itself or one of its subtasks, or one that would
/// take its subtasks past four levels, is refused and changes nothing; a
/// move to the top level or under another task is written once.
pub async fn a_move_refuses_cycles_and_depth_and_changes_nothing_then(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let root = create(storage, ada, "Root", 0).await;
    let child = subtask(storage, ada, "Child", root.id).await;
    let grandchild = subtask(storage, ada, "Grandchild", child.id).await;
    let other = create(storage, ada, "Other", 0).await;
    let deep = subtask(storage, ada, "Deep", other.id).await;
    let deeper = subtask(storage, ada, "Deeper", deep.id).await;

    for parent in [root.id, child.id, grandchild.id] {
        let refused = moved(storage, ada, root.id, Some(Some(parent)), Slot::Kept, 5).await;
        assert!(
            is_placement(&refused, PlacementError::Cycle),
            "under itself or below: {refused:?}"
        );
    }
    let refused = moved(storage, ada, root.id, Some(Some(deeper.id)), Slot::Kept, 5).await;
    assert!(
        is_placement(&refused, PlacementError::TooDeep),
        "three levels under a third level: {refused:?}"
    );
    let read = stored(storage, ada, root.id).await.expect("still there");
    assert_eq!((read.parent, read.version), (None, 1), "nothing changed");

    let promoted = moved(storage, ada, child.id, Some(None), Slot::Kept, 6)
        .await
        .expect("moved to the top level");
    assert_eq!((promoted.parent, promoted.version), (None, 2));
    assert!(promoted.position > root.position.max(other.position));
    let under = moved(storage, ada, child.id, Some(Some(deep.id)), Slot::Kept, 7)
        .await
        .expect("two levels under a second level");
    assert_eq!((under.parent, under.version), (Some(deep.id), 3));
    let kept = moved(storage, ada, child.id, Some(Some(deep.id)), Slot::Kept, 8)
        .await
        .expect("kept");
    assert_eq!(
        kept.version, 3,
        "the same parent and a kept slot write nothing"
    );
}

/// Deleting a task deletes its subtasks at every level, and nothing else.
pub async fn deleting_a_task_deletes_its_subtasks(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let root = create(storage, ada, "Root", 0).await;
    let child = subtask(storage, ada, "Child", root.id).await;
    let grandchild = subtask(storage, ada, "Grandchild", child.id).await;
    let other = create(storage, ada, "Other", 0).await;
    storage
        .tasks
        .delete(&ada, root.id, Precondition::None, at(40))
        .await
        .expect("deleted");
    for gone in [root.id, child.id, grandchild.id] {
        assert_eq!(stored(storage, ada, gone).await, None);
    }
    assert!(stored(storage, ada, other.id).await.is_some());
}

/// New tasks go last among their siblings; a move puts one first, after a
/// sibling, or keeps it, touching only the moved task while there is room,
/// and renumbering its siblings (in their order) once there is none.
pub async fn tasks_keep_their_manual_order(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let one = create(storage, ada, "One", 0).await;
    let two = create(storage, ada, "Two", 1).await;
    let three = create(storage, ada, "Three", 2).await;
    let top = TaskQuery {
        top_level: Some(true),
        sort: sort("position"),
        ..TaskQuery::default()
    };
    let order = |ids: &[&Task]| (ids.iter().map(|t| t.id).collect::<Vec<_>>(), 3);
    assert_eq!(
        listed(storage, ada, &top).await,
        order(&[&one, &two, &three])
    );

    let after_one = moved(storage, ada, three.id, None, Slot::After(one.id), 5)
        .await
        .expect("moved");
    assert_eq!(after_one.version, 2);
    assert_eq!(
        listed(storage, ada, &top).await,
        order(&[&one, &three, &two])
    );
    moved(storage, ada, two.id, None, Slot::First, 6)
        .await
        .expect("moved");
    assert_eq!(
        listed(storage, ada, &top).await,
        order(&[&two, &one, &three])
    );
    let unmoved = stored(storage, ada, one.id).await.expect("there");
    assert_eq!(unmoved.version, 1, "a neighbour with room is not touched");

    // Halving the room after `two` runs out within 64 moves.
    let mut renumbered = false;
    for round in 0..64 {
        let (mover, _) = if round % 2 == 0 {
            (one.id, three.id)
        } else {
            (three.id, one.id)
        };
        moved(storage, ada, mover, None, Slot::After(two.id), 10 + round)
            .await
            .expect("moved");
        let expected = [two.id, mover];
        let (ids, _) = listed(storage, ada, &top).await;
        assert_eq!(
            ids[..2],
            expected,
            "round {round}: the mover right after two"
        );
        let two_now = stored(storage, ada, two.id).await.expect("there");
        renumbered |= two_now.version > 2;
    }
    assert!(renumbered, "siblings without room are renumbered");

    let refused = moved(storage, ada, one.id, None, Slot::After(one.id), 90).await;
    assert!(is_placement(&refused, PlacementError::UnknownSibling));
    let child = create(storage, ada, "Child", 91).await;
    let child = moved(storage, ada, child.id, Some(Some(two.id)), Slot::Kept, 92)
        .await
        .expect("moved under two");
    let refused = moved(storage, ada, one.id, None, Slot::After(child.id), 93).await;
    assert!(
        is_placement(&refused, PlacementError::UnknownSibling),
        "a task under another parent is no sibling: {refused:?}"
    );
}

/// Two moves at once that would each be fine alone but together make a
/// cycle (each task under the other): at most one of them is written.
pub async fn concurrent_moves_never_make_a_cycle(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let a = create(storage, ada, "A", 0).await;
    let b = create(storage, ada, "B", 1).await;
    let (first, second) = join(
        moved(storage, ada, a.id, Some(Some(b.id)), Slot::Kept, 5),
        moved(storage, ada, b.id, Some(Some(a.id)), Slot::Kept, 5),
    )
    .await;
    assert!(
        first.is_ok() != second.is_ok(),
        "exactly one move is written: {first:?} / {second:?}"
    );
    let a = stored(storage, ada, a.id).await.expect("there");
    let b = stored(storage, ada, b.id).await.expect("there");
    assert!(
        a.parent.is_none() || b.parent.is_none(),
        "no cycle: {a:?} / {b:?}"
    );
}
