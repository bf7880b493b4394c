//! The change log in memory. A write of tasks or labels takes a
//! [`Before`] of the owner's rows and then [`record`]s the difference, so
//! that the log follows every write path (as the SQL adapters' triggers
//! do), at the cost of a pass over the owner's rows per write.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tasks::live;
use super::{MemoryStore, Tables};
use crate::bearer::Bearer;
use crate::changes::{
    ActivityQuery, Change, ChangeAction, ChangeFeed, ChangeSeq, Changed, Deletion, FeedEntry,
    FeedPage, FeedQuery, label_fields_changed, task_fields_changed,
};
use crate::error::{Error, Result};
use crate::label::{Label, LabelId};
use crate::session::SessionId;
use crate::task::{Task, TaskId};
use crate::user::UserId;

/// One owner's log and the sequence number of each row's latest change.
#[derive(Debug, Clone, Default)]
pub(super) struct OwnerLog {
    head: u64,
    entries: Vec<Change>,
    rows: HashMap<(Changed, i64), u64>,
}

/// The owner's latest change (the start of the log when it has none).
pub(super) fn head_of(tables: &Tables, owner: UserId) -> ChangeSeq {
    ChangeSeq::new(tables.changes.get(&owner).map_or(0, |log| log.head))
}

/// The owner's tasks (and whether each is in the trash) and labels
/// before a write.
#[derive(Debug)]
pub(super) struct Before {
    owner: UserId,
    tasks: HashMap<TaskId, (Task, bool)>,
    labels: HashMap<LabelId, Label>,
}

/// The owner's tasks, each with whether it is in the trash, and when it
/// went there.
fn owner_tasks(tables: &Tables, owner: UserId) -> Vec<(Task, Option<DateTime<Utc>>)> {
    let live = tables
        .tasks
        .values()
        .filter(|task| task.owner == owner)
        .map(|task| (task.clone(), None));
    let trashed = tables
        .trash
        .values()
        .filter(|trashed| trashed.task.owner == owner)
        .map(|trashed| (trashed.task.clone(), Some(trashed.deleted_at)));
    live.chain(trashed).collect()
}

/// The owner's rows as they are, to [`record`] a write against.
pub(super) fn before(tables: &Tables, owner: UserId) -> Before {
    Before {
        owner,
        tasks: owner_tasks(tables, owner)
            .into_iter()
            .map(|(task, deleted)| (task.id, (task, deleted.is_some())))
            .collect(),
        labels: tables
            .labels
            .values()
            .filter(|label| label.owner == owner)
            .map(|label| (label.id, label.clone()))
            .collect(),
    }
}

/// Appends to the owner's log what changed since `before`, attributed to
/// `session`: labels made or changed first (a task write makes its labels
/// before the task), then tasks, then what is gone; `now` is the time of
/// what is gone.
pub(super) fn record(
    tables: &mut Tables,
    before: &Before,
    session: Option<SessionId>,
    now: DateTime<Utc>,
) {
    let owner = before.owner;
    if !tables.users.contains_key(&owner) {
        return;
    }
    // Numbered when appended.
    let change = |kind, id, action, fields, at| Change {
        seq: ChangeSeq::START,
        kind,
        id,
        action,
        fields,
        session,
        at,
    };
    let mut found: Vec<Change> = Vec::new();
    let mut labels: Vec<&Label> = tables
        .labels
        .values()
        .filter(|label| label.owner == owner)
        .collect();
    labels.sort_by_key(|label| label.id);
    for label in labels {
        let changed = match before.labels.get(&label.id) {
            None => Some((ChangeAction::Created, Vec::new())),
            Some(old) => {
                let fields = label_fields_changed(old, label);
                (!fields.is_empty()).then_some((ChangeAction::Updated, fields))
            }
        };
        if let Some((action, fields)) = changed {
            found.push(change(
                Changed::Label,
                label.id.get(),
                action,
                fields,
                label.updated_at,
            ));
        }
    }
    let mut tasks = owner_tasks(tables, owner);
    tasks.sort_by_key(|(task, _)| task.id);
    for (task, deleted_at) in &tasks {
        let changed = match (before.tasks.get(&task.id), deleted_at) {
            (None, _) => Some((ChangeAction::Created, Vec::new(), task.updated_at)),
            (Some((_, false)), Some(at)) => Some((ChangeAction::Deleted, Vec::new(), *at)),
            (Some((_, true)), None) => Some((ChangeAction::Restored, Vec::new(), task.updated_at)),
            (Some((old, _)), _) if old.version != task.version => Some((
                ChangeAction::Updated,
                task_fields_changed(old, task),
                task.updated_at,
            )),
            _ => None,
        };
        if let Some((action, fields, at)) = changed {
            found.push(change(Changed::Task, task.id.get(), action, fields, at));
        }
    }
    let mut gone: Vec<i64> = before
        .tasks
        .keys()
        .filter(|id| !tasks.iter().any(|(task, _)| task.id == **id))
        .map(|id| id.get())
        .collect();
    gone.sort_unstable();
    found.extend(
        gone.into_iter()
            .map(|id| change(Changed::Task, id, ChangeAction::Purged, Vec::new(), now)),
    );
    let mut dropped: Vec<i64> = before
        .labels
        .keys()
        .filter(|id| !tables.labels.contains_key(id))
        .map(|id| id.get())
        .collect();
    dropped.sort_unstable();
    found.extend(
        dropped
            .into_iter()
            .map(|id| change(Changed::Label, id, ChangeAction::Deleted, Vec::new(), now)),
    );
    let log = tables.changes.entry(owner).or_default();
    for mut change in found {
        log.head += 1;
        change.seq = ChangeSeq::new(log.head);
        log.rows.insert((change.kind, change.id), log.head);
        log.entries.push(change);
    }
}

/// Runs `write` of the bearer's rows on `tables` and, when it succeeds,
/// records what it changed (see [`record`]).
pub(super) fn recorded<T>(
    tables: &mut Tables,
    bearer: &Bearer,
    now: DateTime<Utc>,
    write: impl FnOnce(&mut Tables) -> Result<T>,
) -> Result<T> {
    let before = before(tables, bearer.user_id);
    let written = write(tables)?;
    record(tables, &before, bearer.session_id(), now);
    Ok(written)
}

/// [`ChangeFeed`] in a [`MemoryStore`], fed by its task and label
/// repositories.
#[derive(Debug, Clone)]
pub struct MemoryChanges {
    store: MemoryStore,
}

impl MemoryChanges {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

/// The feed of `owner`, whose log is `log`, after `since` up to its head.
fn feed_of(tables: &Tables, owner: UserId, query: FeedQuery) -> Result<FeedPage> {
    let Some(log) = tables.changes.get(&owner) else {
        return Ok(FeedPage::default());
    };
    let since = query.since.get();
    let seq_of = |kind: Changed, id: i64| log.rows.get(&(kind, id)).copied().unwrap_or(0);
    let mut entries: Vec<(ChangeSeq, FeedEntry)> = Vec::new();
    for (task, deleted_at) in owner_tasks(tables, owner) {
        let seq = seq_of(Changed::Task, task.id.get());
        if seq <= since {
            continue;
        }
        match deleted_at {
            None => entries.push((ChangeSeq::new(seq), FeedEntry::Task(task))),
            Some(_) if query.snapshot => {}
            Some(at) => entries.push((
                ChangeSeq::new(seq),
                FeedEntry::Deleted(Deletion {
                    kind: Changed::Task,
                    id: task.id.get(),
                    deleted_at: at,
                }),
            )),
        }
    }
    for label in tables.labels.values().filter(|label| label.owner == owner) {
        let seq = seq_of(Changed::Label, label.id.get());
        if seq > since {
            entries.push((ChangeSeq::new(seq), FeedEntry::Label(label.clone())));
        }
    }
    if !query.snapshot {
        let erased = log
            .entries
            .iter()
            .filter(|change| change.seq.get() > since && change.action.erases(change.kind));
        entries.extend(erased.map(|change| {
            let deletion = Deletion {
                kind: change.kind,
                id: change.id,
                deleted_at: change.at,
            };
            (change.seq, FeedEntry::Deleted(deletion))
        }));
    }
    Ok(FeedPage::assemble(
        entries,
        query.limit,
        ChangeSeq::new(log.head),
    ))
}

#[async_trait]
impl ChangeFeed for MemoryChanges {
    async fn head(&self, bearer: &Bearer) -> Result<Option<ChangeSeq>> {
        let tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(None);
        }
        Ok(Some(head_of(&tables, bearer.user_id)))
    }

    async fn feed(&self, bearer: &Bearer, query: FeedQuery) -> Result<Option<FeedPage>> {
        let tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(None);
        }
        feed_of(&tables, bearer.user_id, query).map(Some)
    }

    async fn activity(&self, bearer: &Bearer, query: ActivityQuery) -> Result<Vec<Change>> {
        let tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(Vec::new());
        }
        let Some(log) = tables.changes.get(&bearer.user_id) else {
            return Ok(Vec::new());
        };
        let limit = usize::try_from(query.limit).map_err(Error::internal)?;
        Ok(log
            .entries
            .iter()
            .rev()
            .filter(|change| query.before.is_none_or(|before| change.seq < before))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn forget_before(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut tables = self.store.lock();
        let mut forgotten = 0;
        for log in tables.changes.values_mut() {
            let kept = log.entries.len();
            let latest = log.head;
            log.entries
                .retain(|change| change.at >= before || change.seq.get() == latest);
            forgotten += kept - log.entries.len();
        }
        u64::try_from(forgotten).map_err(Error::internal)
    }
}
