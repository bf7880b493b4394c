//! Tasks in the `tasks` table. Every statement is filtered by the bearer's
//! user and carries the check that the bearer is live (`conditions`).

mod conditions;
mod labels;
mod listing;
mod row;
mod tree;
mod writes;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};
use taskpulse_domain::Bearer;
use taskpulse_domain::ports::TaskRepository;
use taskpulse_domain::task::{
    NewTask, Precondition, Task, TaskChanges, TaskId, TaskPage, TaskQuery,
};
use taskpulse_domain::{Error, Result};

use self::conditions::{filter, owned, owned_at, unchanged};
use self::labels::{attach, find_or_make};
use self::listing::list_select;
pub use self::listing::list_statement;
use self::row::{CountedTask, TaskRow, carrying};
use self::tree::{check_new_parent, renumber, unless_parent_gone};
use self::writes::{
    changed, completion_time, deadline_after, insert_returning, insert_statement,
    needs_stored_schedule, write,
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

    /// Tells a missing task from a stale precondition after a conditional
    /// write matched no row.
    async fn miss(&self, bearer: &Bearer, id: TaskId, precondition: Precondition) -> Error {
        if precondition == Precondition::None {
            return Error::NotFound;
        }
        match Entity::find()
            .filter(owned(bearer, id))
            .count(&self.db)
            .await
        {
            Ok(0) => Error::NotFound,
            Ok(_) => Error::PreconditionFailed,
            Err(err) => to_domain(err),
        }
    }
}

/// Applies `changes` that move the task, set its labels or need its
/// stored due time or time zone for the deadline, to the bearer's task
/// `id` inside `txn`, holding the owner's lock: `NotFound` when the task is
/// not there at that version.
async fn update_locked(
    txn: &Transaction,
    bearer: &Bearer,
    id: TaskId,
    changes: TaskChanges,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<Task> {
    lock_owner(txn, bearer).await?;
    let task = Entity::find()
        .filter(owned_at(bearer, id, precondition))
        .into_model::<TaskRow>()
        .one(txn)
        .await
        .map_err(to_domain)?
        .ok_or(Error::NotFound)?
        .0;
    if changes.is_kept_by(&task) {
        return Ok(task);
    }
    let mut update = changed(&changes, now).filter(owned_at(bearer, id, precondition));
    if needs_stored_schedule(&changes) {
        update = update.col_expr(Column::DueDeadline, deadline_after(&changes, &task).into());
    }
    if let Some(placement) = changes.placement {
        let (parent, spot) = tree::spot(txn, &task, placement).await?;
        renumber(txn, bearer.user_id, &spot.renumbered, now).await?;
        update = update
            .col_expr(Column::ParentId, parent.map(TaskId::get).into())
            .col_expr(Column::Position, spot.position.get().into());
    }
    let labels = match &changes.labels {
        Some(wanted) => Some(find_or_make(txn, bearer.user_id, wanted, now).await?),
        None => None,
    };
    if let Some(labels) = &labels {
        let names: Vec<String> = labels.iter().map(|(_, name)| name.clone()).collect();
        update = update.col_expr(Column::Labels, carrying(&names).into());
    }
    let task = write(txn, update)
        .await
        .map_err(unless_parent_gone)?
        .ok_or(Error::NotFound)?;
    if let Some(labels) = labels {
        let ids: Vec<i64> = labels.iter().map(|(id, _)| *id).collect();
        attach(txn, id.get(), &ids).await?;
    }
    Ok(task)
}

/// Creates `task` inside `txn`, holding the owner's lock: its parent
/// checked, its labels found or made.
async fn create_locked(
    txn: &Transaction,
    bearer: &Bearer,
    task: &NewTask,
    now: DateTime<Utc>,
) -> Result<Option<Task>> {
    if !lock_owner(txn, bearer).await? {
        return Ok(None);
    }
    if let Some(parent) = task.parent {
        check_new_parent(txn, bearer.user_id, parent).await?;
    }
    let labels = find_or_make(txn, bearer.user_id, &task.labels, now).await?;
    let names: Vec<String> = labels.iter().map(|(_, name)| name.clone()).collect();
    let insert = insert_statement(bearer, task, &carrying(&names), now)?;
    let Some(created) = insert_returning(txn, &insert)
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
        // The page and the number of matches in one statement; only a page
        // past the end (no row to carry the count) needs a second one.
        let rows = list_select(bearer, query)
            .into_model::<CountedTask>()
            .all(&self.db)
            .await
            .map_err(to_domain)?;
        let total = match rows.first() {
            Some(row) => u64::try_from(row.total).map_err(Error::internal)?,
            None if query.offset == 0 => 0,
            None => Entity::find()
                .filter(filter(bearer, query))
                .count(&self.db)
                .await
                .map_err(to_domain)?,
        };
        let tasks = rows.into_iter().map(|row| row.task).collect();
        Ok(TaskPage { tasks, total })
    }

    async fn create(
        &self,
        bearer: &Bearer,
        task: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>> {
        if task.parent.is_none() && task.labels.names().is_empty() {
            let insert = insert_statement(bearer, &task, "", now)?;
            return insert_returning(&self.db, &insert).await.map_err(to_domain);
        }
        let txn = self.db.begin().await.map_err(to_domain)?;
        let created = create_locked(&txn, bearer, &task, now).await;
        txn.finish(created).await
    }

    async fn get(&self, bearer: &Bearer, id: TaskId) -> Result<Option<Task>> {
        let row = Entity::find()
            .filter(owned(bearer, id))
            .into_model::<TaskRow>()
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(row.map(|row| row.0))
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
            let written = update_locked(&txn, bearer, id, changes, precondition, now).await;
            return match txn.finish(written).await {
                Err(Error::NotFound) => Err(self.miss(bearer, id, precondition).await),
                other => other,
            };
        }
        let same = unchanged(&changes);
        let given = changes.clone();
        let update = changed(&changes, now).filter(owned_at(bearer, id, precondition));
        let written = write(&self.db, update.clone().filter(same.not())).await;
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
            _ => match write(&self.db, update).await.map_err(to_domain)? {
                Some(task) => Ok(task),
                None => Err(self.miss(bearer, id, precondition).await),
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
        let update = Entity::update_many()
            .col_expr(Column::Completed, Expr::col(Column::Completed).not())
            .col_expr(
                Column::CompletedAt,
                completion_time(Expr::col(Column::Completed).not(), now),
            )
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .col_expr(Column::UpdatedAt, now.into())
            .filter(owned_at(bearer, id, precondition));
        match write(&self.db, update).await.map_err(to_domain)? {
            Some(task) => Ok(task),
            None => Err(self.miss(bearer, id, precondition).await),
        }
    }

    async fn delete(&self, bearer: &Bearer, id: TaskId, precondition: Precondition) -> Result<()> {
        let deleted = Entity::delete_many()
            .filter(owned_at(bearer, id, precondition))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        if deleted.rows_affected == 0 {
            Err(self.miss(bearer, id, precondition).await)
        } else {
            Ok(())
        }
    }
}
