//! What a listing asks for (filters, order, page) and the semantics of each:
//! [`TaskQuery::matches`] and [`TaskQuery::order`] are the rules every
//! repository's listing follows.

use std::cmp::Ordering;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{Priority, Task, TaskId};
use crate::changes::ChangeSeq;
use crate::label::LabelName;
use crate::text::fold;

/// The field a listing is sorted by.
///
/// Exhaustive on purpose: every [`TaskRepository`](crate::ports::TaskRepository)
/// must order by every field, so a new one has to break them at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    /// Creation time.
    CreatedAt,
    /// Time of the last change.
    UpdatedAt,
    /// Title.
    Title,
    /// Identifier.
    Id,
    /// Priority.
    Priority,
    /// Due time ([`Task::due_key`]); tasks without one come last in both
    /// directions.
    Due,
    /// Manual order among siblings ([`Task::position`]).
    Position,
}

/// Sort order of a listing; ties are always broken by id in the same
/// direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    /// The field.
    pub field: SortField,
    /// Whether the order is descending.
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Self {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

/// A `sort` value that is not one of the contract's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be one of created_at, -created_at, updated_at, -updated_at, title, -title, id, -id, priority, -priority, due, -due, position, -position"
)]
pub struct SortError;

impl FromStr for Sort {
    type Err = SortError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let field = match name {
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "title" => SortField::Title,
            "id" => SortField::Id,
            "priority" => SortField::Priority,
            "due" => SortField::Due,
            "position" => SortField::Position,
            _ => return Err(SortError),
        };
        Ok(Self { field, descending })
    }
}

/// Page size of a listing: 1–500, 100 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageLimit(u32);

/// A page size outside 1–500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from 1 to 500")]
pub struct PageLimitError;

impl PageLimit {
    /// Largest page.
    pub const MAX: u32 = 500;

    /// Checks the bounds.
    ///
    /// # Errors
    /// [`PageLimitError`] outside 1–500.
    pub fn new(limit: u32) -> Result<Self, PageLimitError> {
        if (1..=Self::MAX).contains(&limit) {
            Ok(Self(limit))
        } else {
            Err(PageLimitError)
        }
    }

    /// The largest page.
    pub const fn largest() -> Self {
        Self(Self::MAX)
    }

    /// The number inside.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(100)
    }
}

/// What to list: filters, order and page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TaskQuery {
    /// Only tasks with this completion state.
    pub completed: Option<bool>,
    /// Only tasks whose title or description contains this text,
    /// literally and case-insensitively.
    pub search: Option<String>,
    /// Only tasks of at least this priority.
    pub priority_min: Option<Priority>,
    /// Only tasks due before this instant (by [`Task::due_key`]).
    pub due_before: Option<DateTime<Utc>>,
    /// Only tasks due at or after this instant (by [`Task::due_key`]).
    pub due_after: Option<DateTime<Utc>>,
    /// Only top-level tasks (`true`) or only subtasks (`false`).
    pub top_level: Option<bool>,
    /// Only the subtasks of this task.
    pub parent: Option<TaskId>,
    /// Only tasks that are overdue at [`TaskQuery::now`] (`true`), or only
    /// those that are not (`false`); see [`Task::is_overdue`].
    pub overdue: Option<bool>,
    /// The time the listing is made at, for `overdue` (the service sets
    /// it from its clock).
    pub now: DateTime<Utc>,
    /// Only tasks that carry every one of these labels.
    pub labels: Vec<LabelName>,
    /// Order.
    pub sort: Sort,
    /// Page size.
    pub limit: PageLimit,
    /// Matches to skip (at most `i64::MAX`).
    pub offset: u64,
}

impl TaskQuery {
    /// Whether `task` passes the filters (the owner is a separate matter):
    /// the completion state, the lowest priority, and the search text found
    /// in the title or the description after both are lower-cased character
    /// by character (as SQL's `lower()` does; SQLite's folds ASCII letters
    /// only).
    pub fn matches(&self, task: &Task) -> bool {
        let completion = self.completed.is_none_or(|c| task.completed == c);
        let priority = self.priority_min.is_none_or(|p| task.priority >= p);
        let due = task.due_key();
        let before = self.due_before.is_none_or(|b| due.is_some_and(|d| d < b));
        let after = self.due_after.is_none_or(|a| due.is_some_and(|d| d >= a));
        let level = self
            .top_level
            .is_none_or(|top| task.parent.is_none() == top);
        let parent = self.parent.is_none_or(|p| task.parent == Some(p));
        let overdue = self
            .overdue
            .is_none_or(|overdue| task.is_overdue(self.now) == overdue);
        let labels = self.labels.iter().all(|label| {
            let key = label.key();
            task.labels.iter().any(|carried| fold(carried) == key)
        });
        let search = match self.search.as_deref().filter(|s| !s.is_empty()) {
            None => true,
            Some(search) => {
                let needle = fold(search);
                let found = |text: &str| fold(text).contains(&needle);
                found(&task.title) || task.description.as_deref().is_some_and(found)
            }
        };
        completion && priority && before && after && level && parent && overdue && labels && search
    }

    /// The listing order: the sort field, then the id, in one direction;
    /// for [`SortField::Due`], tasks without a due time after all others.
    pub fn order(&self, a: &Task, b: &Task) -> Ordering {
        if self.sort.field == SortField::Due {
            match (a.due_key(), b.due_key()) {
                (Some(_), None) => return Ordering::Less,
                (None, Some(_)) => return Ordering::Greater,
                _ => {}
            }
        }
        let by_field = match self.sort.field {
            SortField::CreatedAt => a.created_at.cmp(&b.created_at),
            SortField::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            SortField::Title => a.title.cmp(&b.title),
            SortField::Id => Ordering::Equal,
            SortField::Priority => a.priority.cmp(&b.priority),
            SortField::Due => a.due_key().cmp(&b.due_key()),
            SortField::Position => a.position.cmp(&b.position),
        };
        let ascending = by_field.then(a.id.cmp(&b.id));
        if self.sort.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPage {
    /// The tasks on this page, in order.
    pub tasks: Vec<Task>,
    /// How many tasks match before paging.
    pub total: u64,
    /// The owner's latest change as the page was read, when storage read
    /// it with the page (in the same statement, so that it is exactly the
    /// state the page shows); `None` leaves it to a read of its own.
    pub latest: Option<ChangeSeq>,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sort_accepts_the_contract_values_only() {
        assert_eq!(
            "-title".parse(),
            Ok(Sort {
                field: SortField::Title,
                descending: true
            })
        );
        assert_eq!(
            "id".parse(),
            Ok(Sort {
                field: SortField::Id,
                descending: false
            })
        );
        assert_eq!("name".parse::<Sort>(), Err(SortError));
        assert_eq!("--id".parse::<Sort>(), Err(SortError));
    }

    #[test]
    fn page_limit_is_1_to_500() {
        assert_eq!(PageLimit::new(0), Err(PageLimitError));
        assert_eq!(PageLimit::new(501), Err(PageLimitError));
        assert_eq!(PageLimit::new(500).map(PageLimit::get), Ok(500));
        assert_eq!(PageLimit::default().get(), 100);
    }
}
