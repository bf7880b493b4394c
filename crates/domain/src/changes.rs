//! The per-user change log (issue #22): every write of a task or a label
//! is recorded, in the same atomic step, as a change with the owner's next
//! sequence number. Sequence numbers grow by one per change in commit
//! order, so a reader that has seen change N never later finds one below
//! N. The feed ([`ChangeFeed::feed`]) gives every task and label changed
//! after a position, each once in its latest state, and every deletion;
//! the activity ([`ChangeFeed::activity`]) is the log itself, newest first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::bearer::Bearer;
use crate::error::Result;
use crate::label::Label;
use crate::session::SessionId;
use crate::task::Task;

/// A position in one user's change log: the sequence number of a change,
/// or [`ChangeSeq::START`], before every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChangeSeq(u64);

impl ChangeSeq {
    /// Before the first change.
    pub const START: Self = Self(0);

    /// The position after change `seq`.
    pub fn new(seq: u64) -> Self {
        Self(seq)
    }

    /// The sequence number.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Changed {
    /// A task.
    Task,
    /// A label.
    Label,
}

impl Changed {
    /// Its name in the log and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Label => "label",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Task, Self::Label]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// What happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeAction {
    /// It was made.
    Created,
    /// Some of its fields changed (see [`Change::fields`]).
    Updated,
    /// A task went to the trash (with its subtasks, each a change of its
    /// own); a label was deleted for good.
    Deleted,
    /// A task came back from the trash.
    Restored,
    /// A task was erased from the trash, by its owner or by the scheduled
    /// purge.
    Purged,
}

impl ChangeAction {
    /// Its name in the log and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Restored => "restored",
            Self::Purged => "purged",
        }
    }

    /// The action named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Updated,
            Self::Deleted,
            Self::Restored,
            Self::Purged,
        ]
        .into_iter()
        .find(|action| action.as_str() == name)
    }

    /// Whether the thing is gone for good after this change: its feed
    /// entry is a tombstone kept in the log (a trashed task is still a
    /// row, and the feed reports it as deleted from that row).
    pub fn erases(self, kind: Changed) -> bool {
        matches!(
            (kind, self),
            (Changed::Task, Self::Purged) | (Changed::Label, Self::Deleted)
        )
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its place in the owner's log.
    pub seq: ChangeSeq,
    /// What it is about.
    pub kind: Changed,
    /// The id of the task or label.
    pub id: i64,
    /// What happened.
    pub action: ChangeAction,
    /// For [`ChangeAction::Updated`], the fields that changed, by their
    /// API names ([`task_fields_changed`], [`label_fields_changed`]);
    /// empty otherwise.
    pub fields: Vec<String>,
    /// The session that made it; `None` for the scheduled purge and for
    /// tokens minted outside TaskPulse.
    pub session: Option<SessionId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A deletion the feed reports: the task or label is gone (a task in the
/// trash counts as gone until it is restored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// What was deleted.
    pub kind: Changed,
    /// Its id.
    pub id: i64,
    /// When.
    pub deleted_at: DateTime<Utc>,
}

/// What a feed read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedQuery {
    /// The position the reader has seen everything up to.
    pub since: ChangeSeq,
    /// Whether the read is (part of) a snapshot: what exists, by the
    /// rows themselves rather than the log (whose old entries are
    /// forgotten), leaving out what is deleted.
    pub snapshot: bool,
    /// At most this many entries (tasks, labels and deletions together).
    pub limit: u32,
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedPage {
    /// Tasks changed after the position, in their latest state, in the
    /// order of their latest change.
    pub tasks: Vec<Task>,
    /// Labels changed after the position, likewise.
    pub labels: Vec<Label>,
    /// Deletions after the position (none in a snapshot's first page).
    pub deleted: Vec<Deletion>,
    /// The position this page brings the reader to: the last change it
    /// holds when there is more, else the owner's latest change.
    pub reached: ChangeSeq,
    /// Whether changes after `reached` were left for the next page.
    pub has_more: bool,
}

/// One thing a feed page reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEntry {
    /// A task as it is now.
    Task(Task),
    /// A label as it is now.
    Label(Label),
    /// Something deleted.
    Deleted(Deletion),
}

impl FeedPage {
    /// The page of at most `limit` of `entries` (each at the sequence
    /// number of its latest change, none after `head`), earliest first:
    /// it reaches the last it holds when some are left, else `head`.
    pub fn assemble(mut entries: Vec<(ChangeSeq, FeedEntry)>, limit: u32, head: ChangeSeq) -> Self {
        entries.sort_by_key(|(seq, _)| *seq);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_more = entries.len() > limit;
        entries.truncate(limit);
        let reached = match entries.last() {
            Some((seq, _)) if has_more => *seq,
            _ => head,
        };
        let mut page = Self {
            reached,
            has_more,
            ..Self::default()
        };
        for (_, entry) in entries {
            match entry {
                FeedEntry::Task(task) => page.tasks.push(task),
                FeedEntry::Label(label) => page.labels.push(label),
                FeedEntry::Deleted(deletion) => page.deleted.push(deletion),
            }
        }
        page
    }
}

/// What an activity read asks for: the log newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityQuery {
    /// Only changes before this position; `None` from the latest.
    pub before: Option<ChangeSeq>,
    /// At most this many changes.
    pub limit: u32,
}

/// Storage of the change log. The log is written by the task and label
/// repositories' writes themselves (in their atomic steps); this port
/// reads it and forgets old entries.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// The owner's latest change ([`ChangeSeq::START`] before any); `None`
    /// for a bearer that is not live.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn head(&self, bearer: &Bearer) -> Result<Option<ChangeSeq>>;

    /// The bearer's tasks, labels and deletions changed after
    /// `query.since`, up to the latest change when the read began: each
    /// task and label once, in its state then; at most `query.limit`
    /// entries, the earliest changes first. `None` for a bearer that is
    /// not live.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn feed(&self, bearer: &Bearer, query: FeedQuery) -> Result<Option<FeedPage>>;

    /// The bearer's log, newest first (empty for a bearer that is not
    /// live).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn activity(&self, bearer: &Bearer, query: ActivityQuery) -> Result<Vec<Change>>;

    /// Forgets every user's changes made before `before`, but for each
    /// user's latest (which numbers the next); answers how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn forget_before(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// The API names of the task fields that differ between `old` and `new`
/// (the rule the SQL adapters' triggers state in SQL).
pub fn task_fields_changed(old: &Task, new: &Task) -> Vec<String> {
    [
        ("title", old.title != new.title),
        ("description", old.description != new.description),
        ("completed", old.completed != new.completed),
        ("priority", old.priority != new.priority),
        ("due", old.due != new.due),
        ("time_zone", old.time_zone != new.time_zone),
        ("labels", old.labels != new.labels),
        ("parent_id", old.parent != new.parent),
        ("position", old.position != new.position),
    ]
    .into_iter()
    .filter(|&(_, differs)| differs)
    .map(|(name, _)| name.to_owned())
    .collect()
}

/// The API names of the label fields that differ between `old` and `new`.
pub fn label_fields_changed(old: &Label, new: &Label) -> Vec<String> {
    [
        ("name", old.name != new.name),
        ("color", old.color != new.color),
    ]
    .into_iter()
    .filter(|&(_, differs)| differs)
    .map(|(name, _)| name.to_owned())
    .collect()
}

/// Where a client's reading of the activity stands: the owner, and the
/// position the next (older) page starts before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    /// The user whose log it is.
    pub owner: crate::user::UserId,
    /// The next page holds changes before this one.
    pub before: ChangeSeq,
}

/// Where a client's sync stands: the owner, the position reached, and
/// when the run of pages that led there began (a cursor older than the
/// log's retention may have missed tombstones since forgotten). Clients
/// see it only encoded, as an opaque string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncCursor {
    /// The user whose feed it is.
    pub owner: crate::user::UserId,
    /// Everything up to here has been delivered.
    pub seq: ChangeSeq,
    /// When the first read of this run began.
    pub started: DateTime<Utc>,
    /// Whether the run is a snapshot that has more to give.
    pub snapshot: bool,
}
