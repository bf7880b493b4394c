//! Tasks and the validated values they are made of (`fields`), listed by
//! (`query`) and kept after deletion (`trash`).

mod batch;
mod due;
mod fields;
mod query;
mod trash;
mod tree;

use chrono::{DateTime, Utc};

pub use batch::{BatchRefusal, MAX_BATCH_OPS, OpOutcome, TaskOp};
pub use due::{Due, TimeZone, TimeZoneError};
pub use fields::{
    Description, DescriptionError, Priority, PriorityError, TaskId, TaskIdError, Title, TitleError,
};
pub use query::{PageLimit, PageLimitError, Sort, SortError, SortField, TaskPage, TaskQuery};
pub use trash::{StoredKey, StoredTask, TrashPage, TrashQuery, TrashedTask};
pub use tree::{MAX_DEPTH, Placement, PlacementError, Position, Slot, Spot, check_parent, place};

use crate::label::TaskLabels;
use crate::user::UserId;

/// A stored task, as read back from a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Identifier.
    pub id: TaskId,
    /// The owning user.
    pub owner: UserId,
    /// Title.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// When it was last completed; `None` while it is open (see
    /// [`Task::completion_time`]).
    pub completed_at: Option<DateTime<Utc>>,
    /// How urgent it is.
    pub priority: Priority,
    /// When it is due, if ever.
    pub due: Option<Due>,
    /// The time zone its due date is read in.
    pub time_zone: TimeZone,
    /// The task it is a subtask of, if any.
    pub parent: Option<TaskId>,
    /// Its order among its siblings.
    pub position: Position,
    /// The names of the labels it carries, in their stored spelling, in
    /// the order they were given.
    pub labels: Vec<String>,
    /// Starts at 1 and grows by one on every change.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Time of the last change.
    pub updated_at: DateTime<Utc>,
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// Title.
    pub title: Title,
    /// Optional description.
    pub description: Option<Description>,
    /// Whether it starts out done.
    pub completed: bool,
    /// How urgent it is.
    pub priority: Priority,
    /// When it is due, if ever.
    pub due: Option<Due>,
    /// The time zone its due date is read in.
    pub time_zone: TimeZone,
    /// The task it is a subtask of (it goes after that task's other
    /// subtasks; at top level, after the other top-level tasks).
    pub parent: Option<TaskId>,
    /// The labels it carries.
    pub labels: TaskLabels,
}

impl NewTask {
    /// An open top-level task with this title and nothing else: no
    /// description, priority 0, not due, in UTC.
    pub fn new(title: Title) -> Self {
        Self {
            title,
            description: None,
            completed: false,
            priority: Priority::default(),
            due: None,
            time_zone: TimeZone::default(),
            parent: None,
            labels: TaskLabels::default(),
        }
    }
}

/// Changes to apply to a task; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChanges {
    /// New title.
    pub title: Option<Title>,
    /// New description; `Some(None)` clears it.
    pub description: Option<Option<Description>>,
    /// New completion state.
    pub completed: Option<bool>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New due date or time; `Some(None)` clears it.
    pub due: Option<Option<Due>>,
    /// New time zone.
    pub time_zone: Option<TimeZone>,
    /// A move to another parent or among the siblings.
    pub placement: Option<Placement>,
    /// The labels it carries from now on.
    pub labels: Option<TaskLabels>,
}

impl Task {
    /// Where the task stands by due time ([`Due::sort_key`]), if it is due.
    pub fn due_key(&self) -> Option<DateTime<Utc>> {
        self.due.map(Due::sort_key)
    }

    /// When the task becomes overdue unless completed ([`Due::deadline`]
    /// in its time zone), if it is due.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        self.due.map(|due| due.deadline(self.time_zone))
    }

    /// Whether the task is overdue at `now`: open, and `now` past its
    /// deadline.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        !self.completed && self.deadline().is_some_and(|deadline| deadline < now)
    }

    /// The completion time of a task that is now `completed`, having been
    /// completed at `was` (`None` while open), changed at `now`: kept while
    /// it stays completed, `now` when it becomes completed, `None` when it
    /// is reopened.
    pub fn completion_time(
        completed: bool,
        was: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        completed.then(|| was.unwrap_or(now))
    }
}

impl TaskChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.completed.is_none()
            && self.priority.is_none()
            && self.due.is_none()
            && self.time_zone.is_none()
            && self.placement.is_none()
            && self.labels.is_none()
    }

    /// Whether `task` already has every value given.
    pub fn is_kept_by(&self, task: &Task) -> bool {
        self.title.as_ref().is_none_or(|t| t.as_str() == task.title)
            && self
                .description
                .as_ref()
                .is_none_or(|d| d.as_ref().map(Description::as_str) == task.description.as_deref())
            && self.completed.is_none_or(|c| c == task.completed)
            && self.priority.is_none_or(|p| p == task.priority)
            && self.due.is_none_or(|d| d == task.due)
            && self.time_zone.is_none_or(|z| z == task.time_zone)
            && self.placement.is_none_or(|p| p.keeps(task))
            && self.labels.as_ref().is_none_or(|l| l.are(&task.labels))
    }
}

/// How a write names the version it expects (`If-Match`).
///
/// Exhaustive on purpose, like [`SortField`]: every adapter must handle
/// every variant, so a new one has to break them at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precondition {
    /// Write whatever the current version is (no `If-Match`, or `*`).
    #[default]
    None,
    /// Write only if the task is at exactly this version.
    Version(i64),
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn completion_time_is_set_kept_and_cleared() {
        let then = DateTime::<Utc>::from_timestamp(1_000, 0).expect("a time");
        let now = DateTime::<Utc>::from_timestamp(2_000, 0).expect("a time");
        assert_eq!(Task::completion_time(true, None, now), Some(now));
        assert_eq!(Task::completion_time(true, Some(then), now), Some(then));
        assert_eq!(Task::completion_time(false, Some(then), now), None);
        assert_eq!(Task::completion_time(false, None, now), None);
    }
}
