//! Where a task sits: under which parent (subtasks at most [`MAX_DEPTH`]
//! levels deep, never under themselves) and in which order among its
//! siblings ([`Position`], a gap-numbered key that a move rewrites for the
//! moved task alone, unless two neighbours have no room left between them).

use super::TaskId;

/// The deepest nesting: a top-level task is level 1.
pub const MAX_DEPTH: usize = 4;

/// A task's order key among its siblings: ascending, ties broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position(i64);

impl Position {
    /// The distance between neighbours that a new or renumbered task gets.
    pub const GAP: i64 = 1 << 16;

    /// The key as stored.
    pub fn new(key: i64) -> Self {
        Self(key)
    }

    /// The integer inside.
    pub fn get(self) -> i64 {
        self.0
    }

    /// The key of a task placed after `last` (first of its siblings when
    /// `None`): one [`Position::GAP`] further.
    pub fn after(last: Option<Position>) -> Option<Position> {
        match last {
            None => Some(Self(Self::GAP)),
            Some(last) => last.0.checked_add(Self::GAP).map(Self),
        }
    }

    /// A key strictly between `before` and `after` (either end open), or
    /// `None` when there is no room and the siblings must be renumbered.
    pub fn between(before: Option<Position>, after: Option<Position>) -> Option<Position> {
        match (before, after) {
            (before, None) => Self::after(before),
            (None, Some(after)) => after.0.checked_sub(Self::GAP).map(Self),
            (Some(before), Some(after)) => {
                let room = after.0.checked_sub(before.0)?;
                (room >= 2).then(|| Self(before.0 + room / 2))
            }
        }
    }
}

/// Where among its new siblings a task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Where it is, if its parent does not change; else after the last.
    Kept,
    /// Before every sibling.
    First,
    /// Right after this sibling.
    After(TaskId),
}

/// A move: a new parent (or the current one) and a slot under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The new parent (`Some(None)`: top level); `None` keeps the parent.
    pub parent: Option<Option<TaskId>>,
    /// Where among the parent's children.
    pub slot: Slot,
}

impl Placement {
    /// Whether `task` stays where it is: its parent, and a [`Slot::Kept`].
    /// Any other slot is a move, even to where the task already is.
    pub fn keeps(&self, task: &super::Task) -> bool {
        self.slot == Slot::Kept && self.parent.is_none_or(|parent| parent == task.parent)
    }
}

/// Why a task cannot go where it was asked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlacementError {
    /// The parent is not one of the owner's tasks.
    #[error("must be the id of one of your tasks")]
    UnknownParent,
    /// The parent is the task itself or one of its subtasks.
    #[error("must not be the task itself or one of its subtasks")]
    Cycle,
    /// The task and its subtasks would end up deeper than [`MAX_DEPTH`].
    #[error("subtasks nest at most 4 levels deep")]
    TooDeep,
    /// The sibling to place the task after is not under the same parent.
    #[error("must be the id of another task under the same parent")]
    UnknownSibling,
}

impl PlacementError {
    /// The request field at fault: `parent_id`, or `after` for a sibling.
    pub fn field(self) -> &'static str {
        match self {
            Self::UnknownSibling => "after",
            _ => "parent_id",
        }
    }
}

/// Checks a new parent, given its `ancestors` (the parent itself first,
/// then its parent, up to the top; as found, at most [`MAX_DEPTH`] of
/// them) for `task` (`None` for a task not created yet) whose subtree is
/// `height` levels tall (1 when it has no subtasks).
///
/// # Errors
/// [`PlacementError::Cycle`] when `task` is among the ancestors,
/// [`PlacementError::TooDeep`] when the subtree would end below
/// [`MAX_DEPTH`].
pub fn check_parent(
    task: Option<TaskId>,
    ancestors: &[TaskId],
    height: usize,
) -> Result<(), PlacementError> {
    if task.is_some_and(|task| ancestors.contains(&task)) {
        return Err(PlacementError::Cycle);
    }
    if ancestors.len() + height > MAX_DEPTH {
        return Err(PlacementError::TooDeep);
    }
    Ok(())
}

/// Where a task goes among `siblings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot {
    /// The task's new key.
    pub position: Position,
    /// Siblings whose keys change first, with their new keys (empty unless
    /// there was no room between the two neighbours).
    pub renumbered: Vec<(TaskId, Position)>,
}

/// Places a task at `slot` among `siblings` (the other children of its
/// new parent, in order), where `kept` is its current key if its parent
/// does not change.
///
/// # Errors
/// [`PlacementError::UnknownSibling`] when `slot` names a task that is not
/// among `siblings`.
pub fn place(
    slot: Slot,
    kept: Option<Position>,
    siblings: &[(TaskId, Position)],
) -> Result<Spot, PlacementError> {
    let index = match slot {
        Slot::Kept => {
            if let Some(position) = kept {
                return Ok(Spot {
                    position,
                    renumbered: Vec::new(),
                });
            }
            siblings.len()
        }
        Slot::First => 0,
        Slot::After(id) => {
            siblings
                .iter()
                .position(|(sibling, _)| *sibling == id)
                .ok_or(PlacementError::UnknownSibling)?
                + 1
        }
    };
    let before = index.checked_sub(1).map(|i| siblings[i].1);
    let after = siblings.get(index).map(|(_, position)| *position);
    if let Some(position) = Position::between(before, after) {
        return Ok(Spot {
            position,
            renumbered: Vec::new(),
        });
    }
    let spread = |rank: usize| Position(Position::GAP.saturating_mul(rank as i64 + 1));
    let renumbered = siblings
        .iter()
        .enumerate()
        .map(|(rank, (id, old))| {
            let rank = if rank < index { rank } else { rank + 1 };
            (*id, *old, spread(rank))
        })
        .filter(|(_, old, new)| old != new)
        .map(|(id, _, new)| (id, new))
        .collect();
    Ok(Spot {
        position: spread(index),
        renumbered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> TaskId {
        TaskId::new(n).expect("a positive id")
    }

    fn siblings(keys: &[(i64, i64)]) -> Vec<(TaskId, Position)> {
        keys.iter().map(|&(i, k)| (id(i), Position(k))).collect()
    }

    #[test]
    fn a_parent_may_not_be_the_task_or_below_it() {
        assert_eq!(
            check_parent(Some(id(1)), &[id(1)], 1),
            Err(PlacementError::Cycle)
        );
        assert_eq!(
            check_parent(Some(id(1)), &[id(3), id(2), id(1)], 1),
            Err(PlacementError::Cycle)
        );
        assert_eq!(check_parent(Some(id(1)), &[id(2)], 2), Ok(()));
    }

    #[test]
    fn subtasks_nest_four_levels_deep() {
        assert_eq!(check_parent(None, &[id(3), id(2), id(1)], 1), Ok(()));
        assert_eq!(
            check_parent(None, &[id(4), id(3), id(2), id(1)], 1),
            Err(PlacementError::TooDeep)
        );
        assert_eq!(check_parent(Some(id(9)), &[id(1)], 3), Ok(()));
        assert_eq!(
            check_parent(Some(id(9)), &[id(2), id(1)], 3),
            Err(PlacementError::TooDeep)
        );
        assert_eq!(check_parent(Some(id(9)), &[], 4), Ok(()));
    }

    #[test]
    fn a_kept_slot_keeps_the_key_or_goes_last() {
        let others = siblings(&[(1, 10), (2, 20)]);
        let kept = place(Slot::Kept, Some(Position(15)), &others).expect("placed");
        assert_eq!(kept.position, Position(15));
        let last = place(Slot::Kept, None, &others).expect("placed");
        assert_eq!(last.position, Position(20 + Position::GAP));
        assert!(last.renumbered.is_empty());
    }

    #[test]
    fn a_task_goes_first_between_or_last_without_renumbering() {
        let others = siblings(&[(1, 100), (2, 200)]);
        let first = place(Slot::First, None, &others).expect("placed");
        assert_eq!(first.position, Position(100 - Position::GAP));
        let between = place(Slot::After(id(1)), None, &others).expect("placed");
        assert_eq!(between.position, Position(150));
        let last = place(Slot::After(id(2)), None, &others).expect("placed");
        assert_eq!(last.position, Position(200 + Position::GAP));
        for spot in [first, between, last] {
            assert!(spot.renumbered.is_empty());
        }
        assert_eq!(
            place(Slot::First, None, &[]).map(|s| s.position),
            Ok(Position(Position::GAP))
        );
    }

    #[test]
    fn neighbours_without_room_are_renumbered_in_order() {
        let gap = Position::GAP;
        let others = siblings(&[(1, gap), (2, gap + 1), (3, gap + 1)]);
        let spot = place(Slot::After(id(1)), None, &others).expect("placed");
        assert_eq!(spot.position, Position(2 * gap));
        assert_eq!(
            spot.renumbered,
            vec![(id(2), Position(3 * gap)), (id(3), Position(4 * gap))]
        );
        let at_the_floor = siblings(&[(1, i64::MIN + 1)]);
        let first = place(Slot::First, None, &at_the_floor).expect("placed");
        assert_eq!(first.position, Position(gap));
        assert_eq!(first.renumbered, vec![(id(1), Position(2 * gap))]);
    }

    #[test]
    fn a_sibling_must_be_under_the_same_parent() {
        let others = siblings(&[(1, 10)]);
        assert_eq!(
            place(Slot::After(id(7)), None, &others),
            Err(PlacementError::UnknownSibling)
        );
    }
}
