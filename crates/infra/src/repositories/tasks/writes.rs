//! The statements that write a task, and running them for the task as it
//! then is (`RETURNING` its row).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait, UpdateMany};
use serde::Serialize;
use taskpulse_domain::task::{Due, NewTask, Position, Task, TaskChanges};
use taskpulse_domain::{Bearer, Error, Result};

use super::row::{self, due_columns, returning};
use super::tree::{next_position, ranked_position};
use crate::entities::tasks::{Column, Entity};
use crate::repositories::live::{author, live, owner_locked};

/// The columns an insert gives, in the order of [`new_row`].
const INSERTED: [Column; 18] = [
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
    Column::ParentId,
    Column::Position,
    Column::Labels,
    Column::DueDeadline,
    Column::Version,
    Column::CreatedAt,
    Column::UpdatedAt,
    Column::ChangedBy,
];

/// The values of a new task of the bearer's at `position`, carrying
/// `labels` (its `labels` column, see `row::carrying`).
fn new_row(
    bearer: &Bearer,
    task: &NewTask,
    labels: &str,
    position: SimpleExpr,
    now: DateTime<Utc>,
) -> [SimpleExpr; 18] {
    let (due_date, due_at) = due_columns(task.due);
    [
        Expr::val(bearer.user_id.as_uuid()),
        Expr::val(task.title.as_str()),
        Expr::val(task.description.as_ref().map(|d| d.as_str().to_owned())),
        Expr::val(task.completed),
        Expr::val(Task::completion_time(task.completed, None, now)),
        Expr::val(i16::from(task.priority.get())),
        Expr::val(due_date),
        Expr::val(due_at),
        Expr::val(task.time_zone.name()),
        Expr::val(task.due.map(Due::sort_key)),
        Expr::val(task.parent.map(|p| p.get())),
        position,
        Expr::val(labels),
        Expr::val(task.due.map(|due| due.deadline(task.time_zone))),
        Expr::val(1_i64),
        Expr::val(now),
        Expr::val(now),
        Expr::val(author(bearer)),
    ]
}

/// `INSERT … SELECT … WHERE live … RETURNING`: nothing is stored for a
/// bearer that is not live. The task goes after its siblings; `labels` is
/// its `labels` column (see `row::carrying`).
pub(super) fn insert_statement(
    bearer: &Bearer,
    task: &NewTask,
    labels: &str,
    now: DateTime<Utc>,
) -> Result<InsertStatement> {
    let position = next_position(bearer.user_id, task.parent);
    let mut values = Query::select();
    values
        .exprs(new_row(bearer, task, labels, position, now))
        .and_where(live(bearer));
    let mut insert = Query::insert();
    insert
        .into_table(Entity)
        .columns(INSERTED)
        .select_from(values)
        .map_err(Error::internal)?
        .returning(returning());
    Ok(insert)
}

/// One `INSERT … VALUES (…), (…) … RETURNING` of top-level `tasks`
/// without labels, one after the other after `last` (the last top-level
/// task's key), for a bearer whose liveness the caller has checked: the
/// new tasks, in order.
pub(super) async fn insert_top_level(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    tasks: &[NewTask],
    mut last: Option<Position>,
    now: DateTime<Utc>,
) -> Result<Vec<Task>> {
    let mut insert = Query::insert();
    insert.into_table(Entity).columns(INSERTED);
    for task in tasks {
        let position =
            Position::after(last).ok_or_else(|| Error::internal("no room after the last task"))?;
        last = Some(position);
        insert
            .values(new_row(bearer, task, "", Expr::val(position.get()), now))
            .map_err(Error::internal)?;
    }
    insert.returning(returning());
    let mut created = row::all(conn, &insert, bearer.user_id)
        .await
        .map_err(crate::db::to_domain)?;
    // Ids grow in the order of the rows; RETURNING need not keep it.
    created.sort_by_key(|task| task.id);
    Ok(created)
}

/// `INSERT … SELECT … FROM json_populate_recordset(…) WHERE live …
/// RETURNING` of top-level `tasks` without labels, on PostgreSQL: one
/// statement whose rows come from one JSON parameter (a long `VALUES`
/// list costs PostgreSQL more to plan than to insert), each after the
/// owner's last top-level task and the ones before it. Nothing is stored
/// for a bearer that is not live.
pub(super) fn insert_run_statement(
    bearer: &Bearer,
    tasks: &[&NewTask],
    now: DateTime<Utc>,
) -> Result<InsertStatement> {
    let rows: Vec<RunRow> = (1..)
        .zip(tasks)
        .map(|(rank, task)| RunRow::of(rank, task, now))
        .collect();
    let document = serde_json::to_string(&rows).map_err(Error::internal)?;
    let source = Func::cust("json_populate_recordset")
        .arg(Expr::cust("NULL::tasks"))
        .arg(Expr::val(document).cast_as("json"));
    let row = |column: Column| Expr::col((RUN, column));
    let mut values = Query::select();
    values
        .exprs([
            Expr::val(bearer.user_id.as_uuid()),
            row(Column::Title),
            row(Column::Description),
            row(Column::Completed),
            row(Column::CompletedAt),
            row(Column::Priority),
            row(Column::DueDate),
            row(Column::DueAt),
            row(Column::TimeZone),
            row(Column::DueKey),
            row(Column::ParentId),
            ranked_position(bearer.user_id, None, row(Column::Position)),
            Expr::val(""),
            row(Column::DueDeadline),
            Expr::val(1_i64),
            Expr::val(now),
            Expr::val(now),
            Expr::val(author(bearer)),
        ])
        .from_function(source, RUN)
        .and_where(live(bearer));
    let mut insert = Query::insert();
    insert
        .into_table(Entity)
        .columns(INSERTED)
        .select_from(values)
        .map_err(Error::internal)?
        .returning(returning());
    Ok(insert)
}

/// The alias of [`insert_run_statement`]'s rows.
const RUN: &str = "run";

/// A new task as a row of [`insert_run_statement`]'s document, in the
/// `tasks` columns' names (absent ones are `NULL`): `position` is its rank
/// in the run. Times to the microsecond, as PostgreSQL keeps them.
#[derive(Serialize)]
struct RunRow<'a> {
    position: i64,
    title: &'a str,
    description: Option<&'a str>,
    completed: bool,
    completed_at: Option<String>,
    priority: u8,
    due_date: Option<NaiveDate>,
    due_at: Option<String>,
    time_zone: &'a str,
    due_key: Option<String>,
    due_deadline: Option<String>,
}

impl<'a> RunRow<'a> {
    fn of(rank: i64, task: &'a NewTask, now: DateTime<Utc>) -> Self {
        let (due_date, due_at) = due_columns(task.due);
        let time = |time: DateTime<Utc>| time.to_rfc3339_opts(SecondsFormat::Micros, true);
        Self {
            position: rank,
            title: task.title.as_str(),
            description: task.description.as_ref().map(|d| d.as_str()),
            completed: task.completed,
            completed_at: Task::completion_time(task.completed, None, now).map(time),
            priority: task.priority.get(),
            due_date,
            due_at: due_at.map(time),
            time_zone: task.time_zone.name(),
            due_key: task.due.map(|due| time(due.sort_key())),
            due_deadline: task.due.map(|due| time(due.deadline(task.time_zone))),
        }
    }
}

/// Runs an insert: the new task, if one was stored.
pub(super) async fn insert_returning(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    insert: &InsertStatement,
) -> Result<Option<Task>, DbErr> {
    row::one(conn, insert, bearer.user_id).await
}

/// The update that writes `changes` (a placement and labels aside) at `now`, one
/// version more; its filter is the caller's.
pub(super) fn changed(changes: &TaskChanges, now: DateTime<Utc>) -> UpdateMany<Entity> {
    let mut update = Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, now.into());
    if let Some(title) = &changes.title {
        update = update.col_expr(Column::Title, title.as_str().into());
    }
    if let Some(description) = &changes.description {
        update = update.col_expr(
            Column::Description,
            description.as_ref().map(|d| d.as_str().to_owned()).into(),
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
    match (changes.due, changes.time_zone) {
        (Some(due), Some(zone)) => {
            update = update.col_expr(
                Column::DueDeadline,
                due.map(|due| due.deadline(zone)).into(),
            );
        }
        (Some(None), None) => {
            update = update.col_expr(Column::DueDeadline, Option::<DateTime<Utc>>::None.into());
        }
        (Some(Some(Due::At(at))), None) => {
            update = update.col_expr(Column::DueDeadline, at.into());
        }
        _ => {}
    }
    update
}

/// Whether the deadline after `changes` depends on what the task holds: a
/// date without a time zone, or a time zone alone ([`changed`] writes it
/// in every other case).
pub(super) fn needs_stored_schedule(changes: &TaskChanges) -> bool {
    matches!(
        (changes.due, changes.time_zone),
        (Some(Some(Due::Date(_))), None) | (None, Some(_))
    )
}

/// The deadline of `task` after `changes` ([`Due::deadline`]).
pub(super) fn deadline_after(changes: &TaskChanges, task: &Task) -> Option<DateTime<Utc>> {
    let due = changes.due.unwrap_or(task.due)?;
    Some(due.deadline(changes.time_zone.unwrap_or(task.time_zone)))
}

/// Runs the `UPDATE … RETURNING` of one task, attributed to the bearer's
/// session and taking the owner's lock first (see `owner_locked`): the
/// task as it now is, if a row matched.
pub(super) async fn write(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    update: UpdateMany<Entity>,
) -> Result<Option<Task>, DbErr> {
    let mut update = update
        .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
        .filter(owner_locked(bearer))
        .into_query();
    update.returning(returning());
    row::one(conn, &update, bearer.user_id).await
}

/// The update that flips `completed` at `now`, one version more; its
/// filter is the caller's.
pub(super) fn toggled(now: DateTime<Utc>) -> UpdateMany<Entity> {
    Entity::update_many()
        .col_expr(Column::Completed, Expr::col(Column::Completed).not())
        .col_expr(
            Column::CompletedAt,
            completion_time(Expr::col(Column::Completed).not(), now),
        )
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, now.into())
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
