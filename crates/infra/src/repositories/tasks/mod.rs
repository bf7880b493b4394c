//! Tasks in the `tasks` table. Every statement is filtered by the bearer's
//! user and carries the check that the bearer is live (`conditions`).

mod batch;
mod conditions;
mod feed;
mod labels;
mod listing;
mod row;
mod trash;
mod tree;
mod writes;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use taskpulse_domain::Bearer;
use taskpulse_domain::ports::TaskRepository;
use taskpulse_domain::task::{
    BatchRefusal, NewTask, PageLimit, Precondition, StoredKey, StoredTask, Task, TaskChanges,
    TaskId, TaskOp, TaskPage, TaskQuery, TrashPage, TrashQuery,
};
use taskpulse_domain::{Error, Result};

use self::batch::{apply_ops, bearer_gone, only_plain_creates};
use self::conditions::{owned, owned_at, unchanged};
pub(crate) use self::feed::feed_entry;
pub use self::feed::feed_select;
use self::labels::{attach, find_or_make};
pub use self::listing::list_statements;
use self::listing::{count_select, needs_count, page};
use self::row::carrying;
pub use self::trash::{stored_statement, trash_statements};
use self::tree::{check_new_parent, renumber, unless_parent_gone};
use self::writes::{
    changed, deadline_after, insert_returning, insert_run_statement, insert_statement,
    needs_stored_schedule, toggled, write,
};
use super::live::lock_owner;
use crate::db::{Database, Transaction, to_domain};
use crate::entities::tasks::{Column, Entity};

/// [`TaskRepository`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaTaskRepository {
    db: Database,
}

impl SeaTaskRepository {
    /// A repository on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Tells a missing task from a stale precondition after a conditional
/// write matched no row.
async fn miss(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
) -> Error {
    if precondition == Precondition::None {
        return Error::NotFound;
    }
    match Entity::find().filter(owned(bearer, id)).count(conn).await {
        Ok(0) => Error::NotFound,
        Ok(_) => Error::PreconditionFailed,
        Err(err) => to_domain(err),
    }
}

/// Applies `changes` that move the task, set its labels or need its
/// stored due time or time zone for the deadline, to the bearer's task
/// `id` inside `txn`, which holds the owner's lock: `NotFound` when the
/// task is not there at that version.
async fn update_in(
    txn: &Transaction,
    bearer: &Bearer,
    id: TaskId,
    changes: TaskChanges,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<Task> {
    let select = row::select()
        .cond_where(owned_at(bearer, id, precondition))
        .limit(1)
        .to_owned();
    let task = row::one(txn, &select, bearer.user_id)
        .await
        .map_err(to_domain)?
        .ok_or(Error::NotFound)?;
    if changes.is_kept_by(&task) {
        return Ok(task);
    }
    let mut update = changed(&changes, now).filter(owned_at(bearer, id, precondition));
    if needs_stored_schedule(&changes) {
        update = update.col_expr(Column::DueDeadline, deadline_after(&changes, &task).into());
    }
    if let Some(placement) = changes.placement {
        let (parent, spot) = tree::spot(txn, &task, placement).await?;
        renumber(txn, bearer, &spot.renumbered, now).await?;
        update = update
            .col_expr(Column::ParentId, parent.map(TaskId::get).into())
            .col_expr(Column::Position, spot.position.get().into());
    }
    let labels = match &changes.labels {
        Some(wanted) => Some(find_or_make(txn, bearer, wanted, now).await?),
        None => None,
    };
    if let Some(labels) = &labels {
        let names: Vec<String> = labels.iter().map(|(_, name)| name.clone()).collect();
        update = update.col_expr(Column::Labels, carrying(&names).into());
    }
    let task = write(txn, bearer, update)
        .await
        .map_err(unless_parent_gone)?
        .ok_or(Error::NotFound)?;
    if let Some(labels) = labels {
        let ids: Vec<i64> = labels.iter().map(|(id, _)| *id).collect();
        attach(txn, id.get(), &ids).await?;
    }
    Ok(task)
}

/// Creates `task` inside `txn`, which holds the owner's lock: its parent
/// checked, its labels found or made; `None` for a bearer that is not
/// live.
async fn create_in(
    txn: &Transaction,
    bearer: &Bearer,
    task: &NewTask,
    now: DateTime<Utc>,
) -> Result<Option<Task>> {
    if let Some(parent) = task.parent {
        check_new_parent(txn, bearer.user_id, parent).await?;
    }
    let labels = find_or_make(txn, bearer, &task.labels, now).await?;
    let names: Vec<String> = labels.iter().map(|(_, name)| name.clone()).collect();
    let insert = insert_statement(bearer, task, &carrying(&names), now)?;
    let Some(created) = insert_returning(txn, bearer, &insert)
        .await
        .map_err(unless_parent_gone)?
    else {
        return Ok(None);
    };
    let ids: Vec<i64> = labels.iter().map(|(id, _)| *id).collect();
    attach(txn, created.id.get(), &ids).await?;
    Ok(Some(created))
}

#[async_trait]
impl TaskRepository for SeaTaskRepository {
    async fn list(&self, bearer: &Bearer, query: &TaskQuery) -> Result<TaskPage> {
        let (tasks, latest) = page(&self.db, bearer, query).await?;
        let shown = tasks.len() as u64;
        let total = if needs_count(query, shown) {
            let row = self
                .db
                .query_one(&count_select(bearer, query))
                .await
                .map_err(to_domain)?
                .ok_or_else(|| Error::internal("a count without a row"))?;
            let total: i64 = row.try_get("", "total").map_err(to_domain)?;
            u64::try_from(total).map_err(Error::internal)?
        } else {
            query.offset + shown
        };
        Ok(TaskPage {
            tasks,
            total,
            latest,
        })
    }

    async fn create(
        &self,
        bearer: &Bearer,
        task: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>> {
        if task.parent.is_none() && task.labels.names().is_empty() {
            let insert = insert_statement(bearer, &task, "", now)?;
            return insert_returning(&self.db, bearer, &insert)
                .await
                .map_err(to_domain);
        }
        let txn = self.db.begin().await.map_err(to_domain)?;
        let created = match lock_owner(&txn, bearer).await {
            Ok(true) => create_in(&txn, bearer, &task, now).await,
            Ok(false) => Ok(None),
            Err(err) => Err(err),
        };
        txn.finish(created).await
    }

    async fn get(&self, bearer: &Bearer, id: TaskId) -> Result<Option<Task>> {
        let select = row::select()
            .cond_where(owned(bearer, id))
            .limit(1)
            .to_owned();
        row::one(&self.db, &select, bearer.user_id)
            .await
            .map_err(to_domain)
    }

    async fn update(
        &self,
        bearer: &Bearer,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        if changes.placement.is_some()
            || changes.labels.is_some()
            || needs_stored_schedule(&changes)
        {
            let txn = self.db.begin().await.map_err(to_domain)?;
            let written = match lock_owner(&txn, bearer).await {
                Ok(_) => update_in(&txn, bearer, id, changes, precondition, now).await,
                Err(err) => Err(err),
            };
            return match txn.finish(written).await {
                Err(Error::NotFound) => Err(miss(&self.db, bearer, id, precondition).await),
                other => other,
            };
        }
        let same = unchanged(&changes);
        let given = changes.clone();
        let update = changed(&changes, now).filter(owned_at(bearer, id, precondition));
        let written = write(&self.db, bearer, update.clone().filter(same.not())).await;
        if let Some(task) = written.map_err(to_domain)? {
            return Ok(task);
        }
        // No row: no such task (or a bearer that is not live), another
        // version, one that already has these values (a write of nothing),
        // or one changed since by another write, which is written as usual.
        let Some(task) = self.get(bearer, id).await? else {
            return Err(Error::NotFound);
        };
        match precondition {
            Precondition::Version(expected) if expected != task.version => {
                Err(Error::PreconditionFailed)
            }
            _ if given.is_kept_by(&task) => Ok(task),
            _ => match write(&self.db, bearer, update).await.map_err(to_domain)? {
                Some(task) => Ok(task),
                None => Err(miss(&self.db, bearer, id, precondition).await),
            },
        }
    }

    async fn toggle(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let update = toggled(now).filter(owned_at(bearer, id, precondition));
        match write(&self.db, bearer, update).await.map_err(to_domain)? {
            Some(task) => Ok(task),
            None => Err(miss(&self.db, bearer, id, precondition).await),
        }
    }

    async fn delete(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let trashed = match lock_owner(&txn, bearer).await {
            Ok(_) => trash::trash_in(&txn, bearer, id, precondition, now).await,
            Err(err) => Err(err),
        };
        txn.finish(trashed).await
    }

    async fn trash(&self, bearer: &Bearer, query: &TrashQuery) -> Result<TrashPage> {
        trash::list(&self.db, bearer, query).await
    }

    async fn stored(
        &self,
        bearer: &Bearer,
        after: Option<StoredKey>,
        limit: PageLimit,
    ) -> Result<Vec<StoredTask>> {
        trash::stored(&self.db, bearer, after, limit).await
    }

    async fn restore(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let restored = match lock_owner(&txn, bearer).await {
            Ok(_) => trash::restore_in(&txn, bearer, id, precondition, now).await,
            Err(err) => Err(err),
        };
        txn.finish(restored).await
    }

    async fn purge(&self, bearer: &Bearer, id: TaskId, now: DateTime<Utc>) -> Result<()> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let purged = match lock_owner(&txn, bearer).await {
            Ok(_) => trash::purge_in(&txn, bearer, id, now).await,
            Err(err) => Err(err),
        };
        txn.finish(purged).await
    }

    async fn purge_deleted_before(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let purged = trash::purge_deleted_before(&txn, before, now).await;
        txn.finish(purged).await
    }

    async fn apply_all(
        &self,
        bearer: &Bearer,
        ops: Vec<TaskOp>,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Vec<Option<Task>>, BatchRefusal>> {
        // On PostgreSQL, a batch of plain creates (the common one: a client
        // sending what it made offline) is one statement, without the
        // transaction's four round trips; SQLite has no JSON row source and
        // no round trips to save.
        if self.db.backend() == DbBackend::Postgres
            && let Some(tasks) = only_plain_creates(&ops)
        {
            let insert = insert_run_statement(bearer, &tasks, now)?;
            let mut created = row::all(&self.db, &insert, bearer.user_id)
                .await
                .map_err(to_domain)?;
            if created.is_empty() {
                return Ok(Err(bearer_gone()));
            }
            // Keys grow in the order of the document; RETURNING need not
            // keep it.
            created.sort_by_key(|task| task.position);
            return Ok(Ok(created.into_iter().map(Some).collect()));
        }
        let txn = self.db.begin().await.map_err(to_domain)?;
        match apply_ops(&txn, bearer, ops, now).await {
            Ok(Ok(written)) => txn.finish(Ok(Ok(written))).await,
            refused_or_failed => {
                // Nothing of a refused batch is written.
                let _ = txn.rollback().await;
                refused_or_failed
            }
        }
    }
}
