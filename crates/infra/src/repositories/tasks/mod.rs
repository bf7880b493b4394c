//! Tasks in the `tasks` table. Every statement is filtered by the bearer's
//! user and carries the check that the bearer is live (`conditions`).

mod conditions;
mod listing;
mod row;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryTrait};
use taskpulse_domain::Bearer;
use taskpulse_domain::ports::TaskRepository;
use taskpulse_domain::task::{
    Due, NewTask, Precondition, Task, TaskChanges, TaskId, TaskPage, TaskQuery,
};
use taskpulse_domain::{Error, Result};

use self::conditions::{filter, owned, owned_at, unchanged};
use self::listing::list_select;
pub use self::listing::list_statement;
use self::row::{CountedTask, TaskRow, due_columns, returning};
use super::live::live;
use crate::db::{Database, to_domain};
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

    /// Runs the `UPDATE … RETURNING` of one task: the task as it now is, if
    /// a row matched.
    async fn write(&self, update: sea_orm::UpdateMany<Entity>) -> Result<Option<Task>> {
        let mut update = update.into_query();
        update.returning(returning());
        let statement = self.db.backend().build(&update);
        let row = TaskRow::find_by_statement(statement)
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(row.map(|row| row.0))
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

/// The SQL form of [`Task::completion_time`] for a task that becomes
/// `completed` (an expression of the row's old values) at `now`.
fn completion_time(completed: SimpleExpr, now: DateTime<Utc>) -> SimpleExpr {
    Expr::case(
        completed,
        Func::coalesce([Expr::col(Column::CompletedAt), Expr::val(now)]),
    )
    .finally(Expr::null())
    .into()
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
        // INSERT … SELECT … WHERE live: nothing is stored for a bearer
        // that is not live.
        let mut values = Query::select();
        values
            .exprs([
                Expr::val(bearer.user_id.as_uuid()),
                Expr::val(task.title.as_str()),
                Expr::val(task.description.as_ref().map(|d| d.as_str().to_owned())),
                Expr::val(task.completed),
                Expr::val(Task::completion_time(task.completed, None, now)),
                Expr::val(i16::from(task.priority.get())),
                Expr::val(due_columns(task.due).0),
                Expr::val(due_columns(task.due).1),
                Expr::val(task.time_zone.name()),
                Expr::val(task.due.map(Due::sort_key)),
                Expr::val(1_i64),
                Expr::val(now),
                Expr::val(now),
            ])
            .and_where(live(bearer));
        let mut insert = Query::insert();
        insert
            .into_table(Entity)
            .columns([
                Column::UserId,
                Column::Title,
                Column::Description,
                Column::Completed,
                Column::CompletedAt,
                Column::Priority,
                Column::DueDate,
                Column::DueAt,
                Column::TimeZone,
                Column::DueKey,
                Column::Version,
                Column::CreatedAt,
                Column::UpdatedAt,
            ])
            .select_from(values)
            .map_err(Error::internal)?
            .returning(returning());
        let statement = self.db.backend().build(&insert);
        let row = TaskRow::find_by_statement(statement)
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(row.map(|row| row.0))
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
        let same = unchanged(&changes);
        let given = changes.clone();
        let mut update = Entity::update_many()
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .col_expr(Column::UpdatedAt, now.into());
        if let Some(title) = changes.title {
            update = update.col_expr(Column::Title, title.as_str().into());
        }
        if let Some(description) = changes.description {
            update = update.col_expr(
                Column::Description,
                description.map(|d| d.as_str().to_owned()).into(),
            );
        }
        if let Some(completed) = changes.completed {
            update = update
                .col_expr(Column::Completed, completed.into())
                .col_expr(
                    Column::CompletedAt,
                    completion_time(Expr::val(completed), now),
                );
        }
        if let Some(priority) = changes.priority {
            update = update.col_expr(Column::Priority, i16::from(priority.get()).into());
        }
        if let Some(due) = changes.due {
            let (date, at) = due_columns(due);
            update = update
                .col_expr(Column::DueDate, date.into())
                .col_expr(Column::DueAt, at.into())
                .col_expr(Column::DueKey, due.map(Due::sort_key).into());
        }
        if let Some(time_zone) = changes.time_zone {
            update = update.col_expr(Column::TimeZone, time_zone.name().into());
        }
        let update = update.filter(owned_at(bearer, id, precondition));
        if let Some(task) = self.write(update.clone().filter(same.not())).await? {
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
            _ => match self.write(update).await? {
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
        match self.write(update).await? {
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
