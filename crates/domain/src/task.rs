//! Tasks and the validated values they are made of and listed by.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::text::{char_len, is_forbidden_control};
use crate::user::UserId;

/// A task's identifier: a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(i64);

/// A task id that is not a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("task ids are positive 64-bit integers")]
pub struct TaskIdError;

impl TaskId {
    /// Accepts positive values only.
    ///
    /// # Errors
    /// [`TaskIdError`] for zero or negative values.
    pub fn new(id: i64) -> Result<Self, TaskIdError> {
        if id > 0 {
            Ok(Self(id))
        } else {
            Err(TaskIdError)
        }
    }

    /// The integer inside.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for TaskId {
    type Err = TaskIdError;

    /// Parses plain decimal digits (no sign, no spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TaskIdError);
        }
        s.parse::<i64>()
            .map_err(|_| TaskIdError)
            .and_then(Self::new)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a title was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TitleError {
    /// Empty after trimming, or longer than 200 characters.
    #[error("must be 1 to 200 characters")]
    Length,
    /// Holds a control character other than tab or newline.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A task title: 1–200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Longest title, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims `raw` and checks it.
    ///
    /// # Errors
    /// [`TitleError`] names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TitleError> {
        let title = raw.trim();
        if title.is_empty() || char_len(title) > Self::MAX_CHARS {
            return Err(TitleError::Length);
        }
        if title.chars().any(is_forbidden_control) {
            return Err(TitleError::ControlCharacter);
        }
        Ok(Self(title.to_owned()))
    }

    /// The title as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a description was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptionError {
    /// Longer than 1000 characters.
    #[error("must be at most 1000 characters")]
    TooLong,
    /// Holds a NUL character, which no text column can store.
    #[error("must not contain NUL characters")]
    Nul,
}

/// A task description: at most 1000 characters, kept as given, without
/// NUL characters (PostgreSQL cannot store them; other control characters
/// are kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Longest description, in characters.
    pub const MAX_CHARS: usize = 1000;

    /// Checks the length of `raw`.
    ///
    /// # Errors
    /// [`DescriptionError`] when it is too long.
    pub fn parse(raw: &str) -> Result<Self, DescriptionError> {
        if char_len(raw) > Self::MAX_CHARS {
            return Err(DescriptionError::TooLong);
        }
        if raw.contains('\0') {
            return Err(DescriptionError::Nul);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The description as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How urgent a task is: 0 (none, the default) to 4 (urgent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Priority(u8);

/// A priority outside 0–4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from 0 to 4")]
pub struct PriorityError;

impl Priority {
    /// The most urgent.
    pub const MAX: u8 = 4;

    /// Checks the bounds.
    ///
    /// # Errors
    /// [`PriorityError`] outside 0–4.
    pub fn new(value: i64) -> Result<Self, PriorityError> {
        match u8::try_from(value) {
            Ok(p) if p <= Self::MAX => Ok(Self(p)),
            _ => Err(PriorityError),
        }
    }

    /// The number inside.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl FromStr for Priority {
    type Err = PriorityError;

    /// Parses one decimal digit, `0` to `4`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [digit @ b'0'..=b'9'] => Self::new(i64::from(digit - b'0')),
            _ => Err(PriorityError),
        }
    }
}

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
}

impl Task {
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
    "must be one of created_at, -created_at, updated_at, -updated_at, title, -title, id, -id, priority, -priority"
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
        let search = match self.search.as_deref().filter(|s| !s.is_empty()) {
            None => true,
            Some(search) => {
                let needle = fold(search);
                let found = |text: &str| fold(text).contains(&needle);
                found(&task.title) || task.description.as_deref().is_some_and(found)
            }
        };
        completion && priority && search
    }

    /// The listing order: the sort field, then the id, in one direction.
    pub fn order(&self, a: &Task, b: &Task) -> Ordering {
        let by_field = match self.sort.field {
            SortField::CreatedAt => a.created_at.cmp(&b.created_at),
            SortField::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            SortField::Title => a.title.cmp(&b.title),
            SortField::Id => Ordering::Equal,
            SortField::Priority => a.priority.cmp(&b.priority),
        };
        let ascending = by_field.then(a.id.cmp(&b.id));
        if self.sort.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }
}

/// Lower-cases character by character, as SQL's `lower()` does (no
/// context: a final `Σ` becomes `σ`, as anywhere else).
fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPage {
    /// The tasks on this page, in order.
    pub tasks: Vec<Task>,
    /// How many tasks match before paging.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_bounded_in_characters() {
        assert_eq!(Title::parse("  Write  ").map(|t| t.0), Ok("Write".into()));
        assert!(Title::parse(&"漢".repeat(200)).is_ok());
        assert_eq!(Title::parse(&"漢".repeat(201)), Err(TitleError::Length));
        assert_eq!(Title::parse(" \t "), Err(TitleError::Length));
    }

    #[test]
    fn title_refuses_control_characters() {
        assert_eq!(Title::parse("a\u{0}b"), Err(TitleError::ControlCharacter));
        assert_eq!(Title::parse("a\u{1b}b"), Err(TitleError::ControlCharacter));
        assert!(Title::parse("a\tb\nc").is_ok());
    }

    #[test]
    fn description_is_at_most_1000_characters() {
        assert!(Description::parse(&"é".repeat(1000)).is_ok());
        assert_eq!(
            Description::parse(&"é".repeat(1001)),
            Err(DescriptionError::TooLong)
        );
    }

    #[test]
    fn description_refuses_nul_but_keeps_other_control_characters() {
        assert_eq!(Description::parse("a\0b"), Err(DescriptionError::Nul));
        assert!(Description::parse("a\u{7}\tb\r\n").is_ok());
    }

    #[test]
    fn task_ids_are_positive_decimal_integers() {
        assert_eq!("17".parse::<TaskId>().map(TaskId::get), Ok(17));
        for bad in [
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "",
            "9223372036854775808",
        ] {
            assert_eq!(bad.parse::<TaskId>(), Err(TaskIdError), "{bad:?}");
        }
    }

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
    fn priority_is_0_to_4() {
        assert_eq!(Priority::new(4).map(Priority::get), Ok(4));
        assert_eq!(Priority::default().get(), 0);
        for bad in [-1, 5, 256, i64::MAX] {
            assert_eq!(Priority::new(bad), Err(PriorityError), "{bad}");
        }
        assert_eq!("3".parse::<Priority>().map(Priority::get), Ok(3));
        for bad in ["5", "-1", "03", "", " 1", "x"] {
            assert_eq!(bad.parse::<Priority>(), Err(PriorityError), "{bad:?}");
        }
    }

    #[test]
    fn completion_time_is_set_kept_and_cleared() {
        let then = DateTime::<Utc>::from_timestamp(1_000, 0).expect("a time");
        let now = DateTime::<Utc>::from_timestamp(2_000, 0).expect("a time");
        assert_eq!(Task::completion_time(true, None, now), Some(now));
        assert_eq!(Task::completion_time(true, Some(then), now), Some(then));
        assert_eq!(Task::completion_time(false, Some(then), now), None);
        assert_eq!(Task::completion_time(false, None, now), None);
    }

    #[test]
    fn page_limit_is_1_to_500() {
        assert_eq!(PageLimit::new(0), Err(PageLimitError));
        assert_eq!(PageLimit::new(501), Err(PageLimitError));
        assert_eq!(PageLimit::new(500).map(PageLimit::get), Ok(500));
        assert_eq!(PageLimit::default().get(), 100);
    }
}
