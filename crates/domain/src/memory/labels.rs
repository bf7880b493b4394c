//! Labels in memory, always filtered by the bearer, who must be live; and
//! the labels of a task write, found or made by name.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::changes::recorded;
use super::tasks::live;
use super::{MemoryStore, Tables};
use crate::bearer::Bearer;
use crate::error::{Error, Result};
use crate::label::{
    Label, LabelChanges, LabelId, LabelName, MAX_LABELS_PER_USER, NewLabel, TaskLabels,
};
use crate::ports::LabelRepository;
use crate::text::fold;
use crate::user::UserId;

/// [`LabelRepository`] in a [`MemoryStore`]. Ids count up from 1 across
/// all owners, like a database sequence.
#[derive(Debug, Clone)]
pub struct MemoryLabels {
    store: MemoryStore,
}

impl MemoryLabels {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

/// The owner's label named `name` (by key), if any.
fn named<'t>(tables: &'t Tables, owner: UserId, name: &LabelName) -> Option<&'t Label> {
    let key = name.key();
    tables
        .labels
        .values()
        .find(|label| label.owner == owner && fold(&label.name) == key)
}

/// Stores a new label of `owner`, if the owner has room for one more.
fn insert(
    tables: &mut Tables,
    owner: UserId,
    label: NewLabel,
    now: DateTime<Utc>,
    field: &'static str,
) -> Result<Label> {
    let count = tables.labels.values().filter(|l| l.owner == owner).count();
    if count >= MAX_LABELS_PER_USER {
        return Err(Error::TooManyLabels { field });
    }
    let id = tables
        .last_label_id
        .checked_add(1)
        .and_then(|next| LabelId::new(next).ok())
        .ok_or_else(|| Error::internal("label ids are exhausted"))?;
    let label = Label {
        id,
        owner,
        name: label.name.as_str().to_owned(),
        color: label.color,
        created_at: now,
        updated_at: now,
    };
    tables.last_label_id = id.get();
    tables.labels.insert(id, label.clone());
    Ok(label)
}

/// Whether `owner` has room for the labels of `labels` it has no label
/// of yet.
pub(super) fn check_room(tables: &Tables, owner: UserId, labels: &TaskLabels) -> Result<()> {
    let missing = labels
        .names()
        .iter()
        .filter(|name| named(tables, owner, name).is_none())
        .count();
    let count = tables.labels.values().filter(|l| l.owner == owner).count();
    if count + missing > MAX_LABELS_PER_USER {
        return Err(Error::TooManyLabels { field: "labels" });
    }
    Ok(())
}

/// The stored names of `labels` for a task of `owner`, making the labels
/// the owner has no label of yet (nothing is made unless all fit).
pub(super) fn resolve(
    tables: &mut Tables,
    owner: UserId,
    labels: &TaskLabels,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    check_room(tables, owner, labels)?;
    let mut stored = Vec::with_capacity(labels.names().len());
    for name in labels.names() {
        let label = match named(tables, owner, name) {
            Some(label) => label.clone(),
            None => {
                let new = NewLabel {
                    name: name.clone(),
                    color: None,
                };
                insert(tables, owner, new, now, "labels")?
            }
        };
        stored.push(label.name);
    }
    Ok(stored)
}

/// Renames `old` to `new` (`None`: takes it off) on every task of
/// `owner` that carries it, each of them one version more.
fn relabel(tables: &mut Tables, owner: UserId, old: &str, new: Option<&str>, now: DateTime<Utc>) {
    let trashed = tables.trash.values_mut().map(|t| &mut t.task);
    for task in tables
        .tasks
        .values_mut()
        .chain(trashed)
        .filter(|t| t.owner == owner)
    {
        let Some(at) = task.labels.iter().position(|l| l == old) else {
            continue;
        };
        match new {
            Some(new) => task.labels[at] = new.to_owned(),
            None => {
                task.labels.remove(at);
            }
        }
        task.version += 1;
        task.updated_at = now;
    }
}

/// The bearer's label `id`, if the bearer is live.
fn owned(tables: &Tables, bearer: &Bearer, id: LabelId) -> Result<Label> {
    if !live(tables, bearer) {
        return Err(Error::NotFound);
    }
    tables
        .labels
        .get(&id)
        .filter(|label| label.owner == bearer.user_id)
        .cloned()
        .ok_or(Error::NotFound)
}

#[async_trait]
impl LabelRepository for MemoryLabels {
    async fn list(&self, bearer: &Bearer) -> Result<Vec<Label>> {
        let tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(Vec::new());
        }
        let mut labels: Vec<Label> = tables
            .labels
            .values()
            .filter(|label| label.owner == bearer.user_id)
            .cloned()
            .collect();
        labels.sort_by_cached_key(|label| (fold(&label.name), label.id));
        Ok(labels)
    }

    async fn create(
        &self,
        bearer: &Bearer,
        label: NewLabel,
        now: DateTime<Utc>,
    ) -> Result<Option<Label>> {
        let mut tables = self.store.lock();
        if !live(&tables, bearer) {
            return Ok(None);
        }
        if named(&tables, bearer.user_id, &label.name).is_some() {
            return Err(Error::LabelTaken);
        }
        recorded(&mut tables, bearer, now, |tables| {
            insert(tables, bearer.user_id, label, now, "name").map(Some)
        })
    }

    async fn get(&self, bearer: &Bearer, id: LabelId) -> Result<Option<Label>> {
        let tables = self.store.lock();
        match owned(&tables, bearer, id) {
            Ok(label) => Ok(Some(label)),
            Err(_) => Ok(None),
        }
    }

    async fn update(
        &self,
        bearer: &Bearer,
        id: LabelId,
        changes: LabelChanges,
        now: DateTime<Utc>,
    ) -> Result<Label> {
        let mut tables = self.store.lock();
        let mut label = owned(&tables, bearer, id)?;
        if let Some(name) = &changes.name
            && named(&tables, bearer.user_id, name).is_some_and(|other| other.id != id)
        {
            return Err(Error::LabelTaken);
        }
        recorded(&mut tables, bearer, now, |tables| {
            if let Some(name) = changes.name
                && name.as_str() != label.name
            {
                relabel(
                    tables,
                    bearer.user_id,
                    &label.name,
                    Some(name.as_str()),
                    now,
                );
                label.name = name.as_str().to_owned();
            }
            if let Some(color) = changes.color {
                label.color = color;
            }
            label.updated_at = now;
            tables.labels.insert(id, label.clone());
            Ok(label)
        })
    }

    async fn delete(&self, bearer: &Bearer, id: LabelId, now: DateTime<Utc>) -> Result<()> {
        let mut tables = self.store.lock();
        let label = owned(&tables, bearer, id)?;
        recorded(&mut tables, bearer, now, |tables| {
            relabel(tables, bearer.user_id, &label.name, None, now);
            tables.labels.remove(&id);
            Ok(())
        })
    }
}
