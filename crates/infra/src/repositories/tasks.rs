//! Tasks in the `tasks` table. Every statement is filtered by the bearer's
//! user and carries [`live`], the check that the bearer is live.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::NullOrdering;
use sea_orm::sea_query::{Asterisk, BinOper, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement,
};
use taskpulse_domain::Bearer;
use taskpulse_domain::ports::TaskRepository;
use taskpulse_domain::task::{
    Due, NewTask, Precondition, Priority, SortField, Task, TaskChanges, TaskId, TaskPage,
    TaskQuery, TimeZone,
};
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Error, Result};

use super::live::live;
use crate::db::{Database, to_domain};
use crate::entities::tasks::{self, Column, Entity};

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
        let rows = update
            .exec_with_returning(&self.db)
            .await
            .map_err(to_domain)?;
        rows.into_iter().next().map(to_task).transpose()
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

fn to_task(model: tasks::Model) -> Result<Task> {
    Ok(Task {
        id: TaskId::new(model.id).map_err(Error::internal)?,
        owner: UserId::from(model.user_id),
        title: model.title,
        description: model.description,
        completed: model.completed,
        completed_at: model.completed_at,
        priority: u8::try_from(model.priority)
            .ok()
            .and_then(|p| Priority::new(i64::from(p)).ok())
            .ok_or_else(|| Error::internal("a stored priority outside 0-4"))?,
        due: match (model.due_date, model.due_at) {
            (None, None) => None,
            (Some(date), None) => Some(Due::Date(date)),
            (None, Some(at)) => Some(Due::At(at)),
            (Some(_), Some(_)) => return Err(Error::internal("a task due in two ways")),
        },
        time_zone: TimeZone::parse(&model.time_zone).map_err(Error::internal)?,
        version: model.version,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// The bearer's task `id`, while the bearer is live.
fn owned(bearer: &Bearer, id: TaskId) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id.get()))
        .add(Column::UserId.eq(bearer.user_id.as_uuid()))
        .add(live(bearer))
}

/// [`owned`] plus the `If-Match` version, when there is one.
fn owned_at(bearer: &Bearer, id: TaskId, precondition: Precondition) -> Condition {
    match precondition {
        Precondition::None => owned(bearer, id),
        Precondition::Version(v) => owned(bearer, id).add(Column::Version.eq(v)),
    }
}

/// The SQL form of [`TaskChanges::is_kept_by`]: the task already has every
/// value `changes` gives. True or false, never NULL, so that `NOT` of it
/// is too.
fn unchanged(changes: &TaskChanges) -> Condition {
    let mut same = Condition::all();
    if let Some(title) = &changes.title {
        same = same.add(Column::Title.eq(title.as_str()));
    }
    if let Some(description) = &changes.description {
        same = same.add(match description {
            Some(description) => Condition::all()
                .add(Column::Description.is_not_null())
                .add(Column::Description.eq(description.as_str())),
            None => Condition::all().add(Column::Description.is_null()),
        });
    }
    if let Some(completed) = changes.completed {
        same = same.add(Column::Completed.eq(completed));
    }
    if let Some(priority) = changes.priority {
        same = same.add(Column::Priority.eq(priority.get()));
    }
    if let Some(due) = changes.due {
        let (date, at) = due_columns(due);
        same = same
            .add(is(Column::DueDate, date))
            .add(is(Column::DueAt, at));
    }
    if let Some(time_zone) = changes.time_zone {
        same = same.add(Column::TimeZone.eq(time_zone.name()));
    }
    same
}

/// `column` holds `value` (`None`: is NULL), never NULL itself.
fn is<V: Into<sea_orm::Value>>(column: Column, value: Option<V>) -> Condition {
    match value {
        Some(value) => Condition::all()
            .add(column.is_not_null())
            .add(column.eq(value)),
        None => Condition::all().add(column.is_null()),
    }
}

/// The `due_date` and `due_at` of a due time.
fn due_columns(due: Option<Due>) -> (Option<chrono::NaiveDate>, Option<DateTime<Utc>>) {
    match due {
        None => (None, None),
        Some(Due::Date(date)) => (Some(date), None),
        Some(Due::At(at)) => (None, Some(at)),
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

/// `%`, `_` and `\` match only themselves.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `lower(column) LIKE lower(pattern)`: the database folds both sides with
/// the same function, so text typed as it is stored is always found (SQLite
/// folds ASCII only; folding the pattern in Rust missed `Ü` in `Ünï`).
fn contains(column: Column, pattern: &str) -> SimpleExpr {
    let pattern = Expr::expr(Func::lower(Expr::val(pattern)))
        .binary(BinOper::Escape, Expr::Constant('\\'.into()));
    Expr::expr(Func::lower(Expr::col(column))).binary(BinOper::Like, pattern)
}

/// The owner's tasks that `query` matches: the SQL form of
/// [`TaskQuery::matches`].
fn matching(owner: UserId, query: &TaskQuery) -> Condition {
    let mut condition = Condition::all().add(Column::UserId.eq(owner.as_uuid()));
    if let Some(completed) = query.completed {
        condition = condition.add(Column::Completed.eq(completed));
    }
    if let Some(priority) = query.priority_min {
        condition = condition.add(Column::Priority.gte(priority.get()));
    }
    if let Some(before) = query.due_before {
        condition = condition.add(Column::DueKey.lt(before));
    }
    if let Some(after) = query.due_after {
        condition = condition.add(Column::DueKey.gte(after));
    }
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = like_pattern(search);
        condition = condition.add(
            Condition::any()
                .add(contains(Column::Title, &pattern))
                .add(contains(Column::Description, &pattern)),
        );
    }
    condition
}

/// The bearer's tasks that `query` matches, while the bearer is live.
fn filter(bearer: &Bearer, query: &TaskQuery) -> Condition {
    matching(bearer.user_id, query).add(live(bearer))
}

/// A listed task with the number of matches before paging.
#[derive(Debug, FromQueryResult)]
struct CountedTask {
    #[sea_orm(nested)]
    task: tasks::Model,
    total: i64,
}

/// The page query of a listing, in the order of [`TaskQuery::order`], with
/// the number of matches in a `total` column. The count is a subquery
/// rather than `COUNT(*) OVER ()`, which would read every matching row in
/// full to return a page of them.
fn list_select(bearer: &Bearer, query: &TaskQuery) -> Select<Entity> {
    let mut count = Query::select();
    count
        .expr(Func::count(Expr::col(Asterisk)))
        .from(Entity)
        .cond_where(matching(bearer.user_id, query));
    let order = if query.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let column = match query.sort.field {
        SortField::CreatedAt => Column::CreatedAt,
        SortField::UpdatedAt => Column::UpdatedAt,
        SortField::Title => Column::Title,
        SortField::Id => Column::Id,
        SortField::Priority => Column::Priority,
        SortField::Due => Column::DueKey,
    };
    let select = Entity::find()
        .column_as(Expr::SubQuery(None, Box::new(count.into())), "total")
        .filter(filter(bearer, query));
    // Only the due time can be NULL. `NULLS LAST` on a column that cannot
    // would still keep PostgreSQL from reading a descending order straight
    // off the index (whose backward order puts NULLs first).
    let select = if query.sort.field == SortField::Due {
        select.order_by_with_nulls(column, order.clone(), NullOrdering::Last)
    } else {
        select.order_by(column, order.clone())
    };
    select
        .order_by(Column::Id, order)
        .limit(u64::from(query.limit.get()))
        .offset(query.offset)
}

/// The SQL a listing runs for its page and count, for query-plan checks.
pub fn list_statement(backend: DbBackend, bearer: &Bearer, query: &TaskQuery) -> Statement {
    list_select(bearer, query).build(backend)
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
        let tasks = rows
            .into_iter()
            .map(|row| to_task(row.task))
            .collect::<Result<_>>()?;
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
            .returning_all();
        let statement = self.db.backend().build(&insert);
        let row = tasks::Model::find_by_statement(statement)
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        row.map(to_task).transpose()
    }

    async fn get(&self, bearer: &Bearer, id: TaskId) -> Result<Option<Task>> {
        let row = Entity::find()
            .filter(owned(bearer, id))
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        row.map(to_task).transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_match_only_themselves() {
        assert_eq!(like_pattern(r"50%_off\Now"), r"%50\%\_off\\Now%");
    }
}
