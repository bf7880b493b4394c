//! Tasks in the `tasks` table. Every statement is filtered by the bearer's
//! user and carries the check that the bearer is live (`EXISTS` on the
//! user and session), so a request costs one round trip.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, BinOper, Expr, ExprTrait, Func, IntoIden, Query, ReturningClause, SimpleExpr,
    TableRef, UpdateStatement,
};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, DbErr, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement, Value,
};
use taskpulse_domain::Bearer;
use taskpulse_domain::ports::TaskRepository;
use taskpulse_domain::task::{
    ChangedTask, NewTask, Precondition, SortField, StampChange, Task, TaskChanges, TaskId,
    TaskPage, TaskQuery, TasksStamp,
};
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Error, Result};

use crate::db::{Database, FromRow, Work, to_domain};
use crate::entities::tasks::{self, Column, Entity};
use crate::entities::{sessions, users};
use crate::pg_creates::{Creates, NewRow};

/// [`TaskRepository`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaTaskRepository {
    db: Database,
    /// On pipelining PostgreSQL connections, concurrent creates are stored
    /// together (see [`crate::pg_creates`]).
    creates: Option<Arc<Creates>>,
    /// Where the database takes stamps, the key of this repository's
    /// [`TasksStamp`] hashes (random, so that no one can aim for a
    /// collision).
    stamp_key: Option<i64>,
    /// The text of the lookup statement.
    get_text: Arc<KeptText>,
    /// The text of the stamp statement.
    stamp_text: Arc<KeptText>,
}

/// The SQL text of a statement whose shape depends only on whether the
/// bearer names a session, built by sea-query the first time and kept:
/// building it took about a tenth of a lookup's time in the server. Each
/// use supplies the values, in the order the text takes them; debug builds
/// build the statement every time and check that it is the same.
#[derive(Debug, Default)]
struct KeptText([OnceLock<String>; 2]);

impl KeptText {
    /// The statement `build` makes for `bearer`, as the kept text and
    /// `values`.
    fn statement(
        &self,
        backend: DbBackend,
        bearer: &Bearer,
        values: Vec<Value>,
        build: impl FnOnce() -> Statement,
    ) -> Statement {
        let text = &self.0[usize::from(bearer.session_id.is_some())];
        let Some(sql) = text.get() else {
            let built = build();
            let _ = text.set(built.sql.clone());
            return built;
        };
        let kept = Statement::from_sql_and_values(backend, sql.clone(), values);
        debug_assert_eq!(kept, build(), "a kept text's values are out of order");
        kept
    }
}

/// The values [`live`] takes, in order.
fn live_values(bearer: &Bearer) -> impl Iterator<Item = Value> {
    [
        Some(1_i32.into()),
        bearer.session_id.map(|s| s.as_uuid().into()),
        Some(bearer.user_id.as_uuid().into()),
        Some(true.into()),
        Some(bearer.token_version.into()),
    ]
    .into_iter()
    .flatten()
}

/// The lookup of the bearer's task `id`.
fn get_select(bearer: &Bearer, id: TaskId) -> Select<Entity> {
    Entity::find().filter(owned(bearer, id)).limit(1)
}

/// The values of [`get_select`], in order.
fn get_values(bearer: &Bearer, id: TaskId) -> Vec<Value> {
    [id.get().into(), bearer.user_id.as_uuid().into()]
        .into_iter()
        .chain(live_values(bearer))
        .chain([1_u64.into()])
        .collect()
}

/// The stamp of the bearer's tasks while the bearer is live.
fn stamp_select(bearer: &Bearer, key: i64) -> sea_orm::sea_query::SelectStatement {
    let mut select = Query::select();
    select
        .expr_as(stamp_of(bearer.user_id, key), "stamp")
        .and_where(live(bearer));
    select
}

/// The values of [`stamp_select`], in order.
fn stamp_values(bearer: &Bearer) -> Vec<Value> {
    [bearer.user_id.as_uuid().into(), (MOST_STAMPED + 1).into()]
        .into_iter()
        .chain(live_values(bearer))
        .collect()
}

impl SeaTaskRepository {
    /// A repository on this connection pool.
    pub fn new(db: Database) -> Self {
        let creates = db.pipelines().map(|p| Arc::new(Creates::new(p)));
        let stamp_key = db.keeps_stamps().then(|| {
            let (key, _) = uuid::Uuid::new_v4().as_u64_pair();
            i64::from_ne_bytes(key.to_ne_bytes())
        });
        Self {
            db,
            creates,
            stamp_key,
            get_text: Arc::default(),
            stamp_text: Arc::default(),
        }
    }

    /// Runs the `UPDATE` of one task and returns the task as it now is,
    /// with what it did to the stamp where the database takes stamps, or
    /// why no row matched.
    async fn changed(
        &self,
        mut statement: UpdateStatement,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
    ) -> Result<ChangedTask> {
        match self.changed_row(&mut statement, id).await? {
            Some(row) => to_changed(row),
            None => Err(self.miss(bearer, id, precondition).await),
        }
    }

    /// Runs the `UPDATE` of task `id`; its row, if one matched, with the
    /// stamp change where the database takes stamps.
    async fn changed_row(
        &self,
        statement: &mut UpdateStatement,
        id: TaskId,
    ) -> Result<Option<ChangedRow>> {
        match self.stamp_key {
            Some(key) => {
                with_stamp_change(statement, id, key);
                self.first_row::<ChangedRow>(statement).await
            }
            None => {
                statement.returning_all();
                let task = self.first_row::<tasks::Model>(statement).await?;
                Ok(task.map(|task| ChangedRow {
                    task,
                    stamp_change: None,
                }))
            }
        }
    }

    /// The first row a write returns, if any.
    async fn first_row<T: FromRow>(&self, statement: &UpdateStatement) -> Result<Option<T>> {
        let rows: Vec<T> = self
            .db
            .rows(self.db.backend().build(statement), Work::Write)
            .await
            .map_err(to_domain)?;
        Ok(rows.into_iter().next())
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
        version: model.version,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Whether `bearer` is live: its user exists and is active at its token
/// version, and its session, if it names one, is its user's and has not
/// ended. Uncorrelated, so the database evaluates it once per statement.
fn live(bearer: &Bearer) -> SimpleExpr {
    let mut user = Query::select();
    user.expr(Expr::val(1))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).eq(bearer.user_id.as_uuid()))
        .and_where(Expr::col((users::Entity, users::Column::IsActive)).eq(true))
        .and_where(
            Expr::col((users::Entity, users::Column::TokenVersion)).eq(bearer.token_version),
        );
    if let Some(session) = bearer.session_id {
        user.inner_join(
            sessions::Entity,
            Expr::col((sessions::Entity, sessions::Column::Id))
                .eq(session.as_uuid())
                .and(
                    Expr::col((sessions::Entity, sessions::Column::UserId))
                        .equals((users::Entity, users::Column::Id)),
                )
                .and(Expr::col((sessions::Entity, sessions::Column::EndedAt)).is_null()),
        );
    }
    Expr::exists(user)
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

/// The task already has every value `changes` gives: true or false, never
/// NULL, so that `NOT` of it is too.
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
    same
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

/// The bearer's tasks that `query` matches, while the bearer is live.
fn filter(bearer: &Bearer, query: &TaskQuery) -> Condition {
    matching(bearer.user_id, query).add(live(bearer))
}

/// The owner's tasks that `query` matches.
fn matching(owner: UserId, query: &TaskQuery) -> Condition {
    let mut condition = Condition::all().add(Column::UserId.eq(owner.as_uuid()));
    if let Some(completed) = query.completed {
        condition = condition.add(Column::Completed.eq(completed));
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

/// A listed task with the number of matches before paging and the
/// owner's stamp.
#[derive(Debug)]
struct CountedTask {
    task: tasks::Model,
    total: i64,
    stamp: Option<TasksStamp>,
}

impl FromRow for tasks::Model {
    fn from_query_result(row: &QueryResult) -> std::result::Result<Self, DbErr> {
        <Self as FromQueryResult>::from_query_result(row, "")
    }

    fn from_pg_row(row: &tokio_postgres::Row) -> std::result::Result<Self, tokio_postgres::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            completed: row.try_get("completed")?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl FromRow for CountedTask {
    fn from_query_result(row: &QueryResult) -> std::result::Result<Self, DbErr> {
        Ok(Self {
            task: <tasks::Model as FromRow>::from_query_result(row)?,
            total: row.try_get("", "total")?,
            stamp: <Option<TasksStamp>>::from_query_result(row)?,
        })
    }

    fn from_pg_row(row: &tokio_postgres::Row) -> std::result::Result<Self, tokio_postgres::Error> {
        Ok(Self {
            task: <tasks::Model as FromRow>::from_pg_row(row)?,
            total: row.try_get("total")?,
            stamp: <Option<TasksStamp>>::from_pg_row(row)?,
        })
    }
}

/// A returned row as the port's [`ChangedTask`].
fn to_changed(row: ChangedRow) -> Result<ChangedTask> {
    Ok(ChangedTask {
        task: to_task(row.task)?,
        stamp_change: row.stamp_change.map(StampChange),
    })
}

/// A changed task with the `stamp_change` column of [`with_stamp_change`].
#[derive(Debug)]
struct ChangedRow {
    task: tasks::Model,
    stamp_change: Option<i64>,
}

impl FromRow for ChangedRow {
    fn from_query_result(row: &QueryResult) -> std::result::Result<Self, DbErr> {
        Ok(Self {
            task: <tasks::Model as FromRow>::from_query_result(row)?,
            stamp_change: row.try_get("", "stamp_change")?,
        })
    }

    fn from_pg_row(row: &tokio_postgres::Row) -> std::result::Result<Self, tokio_postgres::Error> {
        Ok(Self {
            task: <tasks::Model as FromRow>::from_pg_row(row)?,
            stamp_change: row.try_get("stamp_change")?,
        })
    }
}

/// The nullable `stamp` column.
impl FromRow for Option<TasksStamp> {
    fn from_query_result(row: &QueryResult) -> std::result::Result<Self, DbErr> {
        Ok(row.try_get::<Option<i64>>("", "stamp")?.map(TasksStamp))
    }

    fn from_pg_row(row: &tokio_postgres::Row) -> std::result::Result<Self, tokio_postgres::Error> {
        Ok(row.try_get::<_, Option<i64>>("stamp")?.map(TasksStamp))
    }
}

/// Owners with more tasks than this get no stamp: reading them all for it
/// would cost more than reading a page of them.
const MOST_STAMPED: u64 = 500;

/// The [`TasksStamp`] of `owner`'s tasks, or NULL past [`MOST_STAMPED`]
/// tasks: the XOR of each one's [`row_hash`].
fn stamp_of(owner: UserId, key: i64) -> SimpleExpr {
    let mut owned = Query::select();
    owned
        .expr_as(Expr::cust(row_hash("tasks", key)), Alias::new("row_hash"))
        .from(Entity)
        .and_where(Column::UserId.eq(owner.as_uuid()))
        .limit(MOST_STAMPED + 1);
    let mut stamp = Query::select();
    stamp
        .expr(Expr::cust(format!(
            "CASE WHEN COUNT(*) <= {MOST_STAMPED} THEN COALESCE(BIT_XOR(\"owned\".\"row_hash\"), 0) END"
        )))
        .from_subquery(owned, Alias::new("owned"));
    Expr::SubQuery(None, Box::new(stamp.into()))
}

/// A hash, keyed by `key`, of the id, version and `xmin` of `table`'s row
/// (every `UPDATE` changes `xmin`, even one made outside TaskPulse that
/// leaves the version as it was).
fn row_hash(table: &str, key: i64) -> String {
    format!(
        "hash_record_extended(ROW(\"{table}\".\"id\", \"{table}\".\"version\", \"{table}\".\"xmin\"), {key})"
    )
}

/// Makes `update` of task `id` also return, in a `stamp_change` column,
/// the XOR of the [`row_hash`] of the row before and after it (see
/// [`StampChange`]). The row before is read in the statement's snapshot:
/// if another write got to it first, the change is wrong, and a stamp
/// moved by it matches no stamp storage will ever take.
fn with_stamp_change(update: &mut UpdateStatement, id: TaskId, key: i64) {
    let before = Alias::new("before");
    let mut row = Query::select();
    row.expr_as(
        Expr::col((before.clone(), Column::Id)),
        Alias::new("before_id"),
    )
    .expr_as(
        Expr::cust(row_hash("before", key)),
        Alias::new("before_hash"),
    )
    .from_as(Entity, before.clone())
    .and_where(Expr::col((before.clone(), Column::Id)).eq(id.get()));
    update
        .from(TableRef::SubQuery(
            Box::new(row),
            before.clone().into_iden(),
        ))
        .and_where(Expr::col((Entity, Column::Id)).equals((before, Alias::new("before_id"))))
        .returning(ReturningClause::Exprs(vec![
            Expr::col((Entity, Asterisk)),
            Expr::cust(format!(
                "\"before\".\"before_hash\" # {} AS \"stamp_change\"",
                row_hash("tasks", key)
            )),
        ]));
}

/// The page query of a listing, with the number of matches in a `total`
/// column and the owner's stamp in a `stamp` column (NULL without a key).
/// The count is a subquery rather than `COUNT(*) OVER ()`, which would
/// read every matching row in full to return a page of them.
fn list_select(bearer: &Bearer, query: &TaskQuery, stamp_key: Option<i64>) -> Select<Entity> {
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
    };
    let stamp = match stamp_key {
        Some(key) => stamp_of(bearer.user_id, key),
        None => Expr::cust("NULL"),
    };
    Entity::find()
        .column_as(Expr::SubQuery(None, Box::new(count.into())), "total")
        .column_as(stamp, "stamp")
        .filter(filter(bearer, query))
        .order_by(column, order.clone())
        .order_by(Column::Id, order)
        .limit(u64::from(query.limit.get()))
        .offset(query.offset)
}

/// The SQL a listing runs for its page and count, for query-plan checks.
pub fn list_statement(backend: DbBackend, bearer: &Bearer, query: &TaskQuery) -> Statement {
    let stamp_key = (backend == DbBackend::Postgres).then_some(0);
    list_select(bearer, query, stamp_key).build(backend)
}

#[async_trait]
impl TaskRepository for SeaTaskRepository {
    async fn list(&self, bearer: &Bearer, query: &TaskQuery) -> Result<TaskPage> {
        // The page, the number of matches and the stamp in one round trip;
        // only a page past the end (no row to carry the count) needs a
        // second query, and has no stamp.
        let statement = list_select(bearer, query, self.stamp_key).build(self.db.backend());
        let rows: Vec<CountedTask> = self
            .db
            .rows(statement, Work::Scan)
            .await
            .map_err(to_domain)?;
        let stamp = rows.first().and_then(|row| row.stamp);
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
        Ok(TaskPage {
            tasks,
            total,
            stamp,
        })
    }

    async fn stamp(&self, bearer: &Bearer) -> Result<Option<TasksStamp>> {
        let Some(key) = self.stamp_key else {
            return Ok(None);
        };
        let backend = self.db.backend();
        let statement = self
            .stamp_text
            .statement(backend, bearer, stamp_values(bearer), || {
                backend.build(&stamp_select(bearer, key))
            });
        let rows: Vec<Option<TasksStamp>> = self
            .db
            .rows(statement, Work::Scan)
            .await
            .map_err(to_domain)?;
        Ok(rows.into_iter().next().flatten())
    }

    async fn create(
        &self,
        bearer: &Bearer,
        task: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>> {
        if let Some(creates) = &self.creates {
            let row = NewRow {
                user_id: bearer.user_id.as_uuid(),
                session_id: bearer.session_id.map(|s| s.as_uuid()),
                token_version: bearer.token_version,
                title: task.title.as_str().to_owned(),
                description: task.description.map(|d| d.as_str().to_owned()),
                completed: task.completed,
                at: now,
            };
            let stored = creates.create(row).await.map_err(to_domain)?;
            return stored.map(to_task).transpose();
        }
        // INSERT … SELECT … WHERE live: nothing is stored for a bearer
        // that is not live, in the same round trip.
        let mut values = Query::select();
        values
            .exprs([
                Expr::val(bearer.user_id.as_uuid()),
                Expr::val(task.title.as_str()),
                Expr::val(task.description.as_ref().map(|d| d.as_str().to_owned())),
                Expr::val(task.completed),
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
                Column::Version,
                Column::CreatedAt,
                Column::UpdatedAt,
            ])
            .select_from(values)
            .map_err(Error::internal)?
            .returning_all();
        let statement = self.db.backend().build(&insert);
        let rows: Vec<tasks::Model> = self
            .db
            .rows(statement, Work::Write)
            .await
            .map_err(to_domain)?;
        rows.into_iter().next().map(to_task).transpose()
    }

    async fn get(&self, bearer: &Bearer, id: TaskId) -> Result<Option<Task>> {
        let backend = self.db.backend();
        let statement = self
            .get_text
            .statement(backend, bearer, get_values(bearer, id), || {
                get_select(bearer, id).build(backend)
            });
        let rows: Vec<tasks::Model> = self
            .db
            .rows(statement, Work::Lookup)
            .await
            .map_err(to_domain)?;
        rows.into_iter().next().map(to_task).transpose()
    }

    async fn update(
        &self,
        bearer: &Bearer,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<ChangedTask> {
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
            update = update.col_expr(Column::Completed, completed.into());
        }
        let update = update.filter(owned_at(bearer, id, precondition));
        let mut unless_same = update.clone().filter(same.not()).into_query();
        if let Some(row) = self.changed_row(&mut unless_same, id).await? {
            return to_changed(row);
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
            _ if given.is_kept_by(&task) => Ok(ChangedTask {
                task,
                stamp_change: self.stamp_key.map(|_| StampChange(0)),
            }),
            _ => {
                self.changed(update.into_query(), bearer, id, precondition)
                    .await
            }
        }
    }

    async fn toggle(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<ChangedTask> {
        let statement = Entity::update_many()
            .col_expr(Column::Completed, Expr::col(Column::Completed).not())
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .col_expr(Column::UpdatedAt, now.into())
            .filter(owned_at(bearer, id, precondition))
            .into_query();
        self.changed(statement, bearer, id, precondition).await
    }

    async fn delete(&self, bearer: &Bearer, id: TaskId, precondition: Precondition) -> Result<()> {
        let statement = Entity::delete_many()
            .filter(owned_at(bearer, id, precondition))
            .build(self.db.backend());
        let deleted = self
            .db
            .execute_counted(statement)
            .await
            .map_err(to_domain)?;
        if deleted == 0 {
            Err(self.miss(bearer, id, precondition).await)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use taskpulse_domain::session::SessionId;

    use super::*;

    fn bearers() -> [Bearer; 2] {
        [None, Some(SessionId::new_random())].map(|session_id| Bearer {
            user_id: UserId::new_random(),
            session_id,
            token_version: 3,
        })
    }

    #[test]
    fn kept_texts_take_their_values_in_order() {
        let id = TaskId::new(5).expect("positive");
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for bearer in bearers() {
                let built = get_select(&bearer, id).build(backend);
                assert_eq!(built.values.map(|v| v.0), Some(get_values(&bearer, id)));
                let built = backend.build(&stamp_select(&bearer, 7));
                assert_eq!(built.values.map(|v| v.0), Some(stamp_values(&bearer)));
            }
        }
    }

    #[test]
    fn a_kept_text_serves_each_kind_of_bearer_its_own() {
        let kept = KeptText::default();
        let id = TaskId::new(5).expect("positive");
        for _ in 0..2 {
            for bearer in bearers() {
                let statement = kept.statement(
                    DbBackend::Postgres,
                    &bearer,
                    get_values(&bearer, id),
                    || get_select(&bearer, id).build(DbBackend::Postgres),
                );
                assert_eq!(
                    statement,
                    get_select(&bearer, id).build(DbBackend::Postgres)
                );
            }
        }
    }

    #[test]
    fn like_wildcards_match_only_themselves() {
        assert_eq!(like_pattern(r"50%_off\Now"), r"%50\%\_off\\Now%");
    }
}
