//! A `tasks` row read into a [`Task`] by column position.
//!
//! SeaORM's derived decoders find each column by a name built per column
//! per row, and its `Entity::find()` builds an expression per column that
//! a narrower select then drops; a listing of 50 wide rows spent a
//! quarter of its time on the first and a tenth on the second. Every
//! statement here reads [`READ`] in order, written once as one column
//! list, so a column's position is its place in [`READ`].

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query, ReturningClause, SelectStatement};
use sea_orm::sqlx::{self, Row as _};
use sea_orm::{ConnectionTrait, DbErr, IdenStatic, QueryResult, StatementBuilder, TryGetable};
use taskpulse_domain::task::{Due, Position, Priority, Task, TaskId, TimeZone};
use taskpulse_domain::user::UserId;

use crate::entities::tasks::{Column, Entity};

/// The columns a task is read from, in order. The owner is not among
/// them: every statement is scoped to the bearer, who is the owner.
/// Neither are `due_key` and `due_deadline`, which the due time derives.
const READ: [Column; 15] = [
    Column::Id,
    Column::Title,
    Column::Description,
    Column::Completed,
    Column::Version,
    Column::CreatedAt,
    Column::UpdatedAt,
    Column::Priority,
    Column::CompletedAt,
    Column::DueDate,
    Column::DueAt,
    Column::TimeZone,
    Column::ParentId,
    Column::Position,
    Column::Labels,
];

/// How many columns a task row has: a statement that reads more puts them
/// after, from this index on.
pub(super) const WIDTH: usize = READ.len();

/// The position of `column` in [`READ`].
const fn at(column: Column) -> usize {
    let mut index = 0;
    while index < READ.len() {
        if READ[index] as usize == column as usize {
            return index;
        }
        index += 1;
    }
    panic!("a column that task rows do not read")
}

/// [`READ`] as one SQL list of quoted names (both databases quote with
/// `"`), built once.
static COLUMN_LIST: LazyLock<String> = LazyLock::new(|| {
    READ.iter()
        .map(|column| format!("\"{}\"", column.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
});

/// The columns of a task row, as one select or returning expression.
fn columns() -> Expr {
    Expr::cust(COLUMN_LIST.as_str())
}

/// `SELECT` a task row `FROM tasks`; the caller adds the filter.
pub(super) fn select() -> SelectStatement {
    Query::select().expr(columns()).from(Entity).to_owned()
}

/// `RETURNING` a task row.
pub(super) fn returning() -> ReturningClause {
    Query::returning().expr(columns())
}

/// The value at `index`. On PostgreSQL it is decoded straight from the
/// driver's row: SeaORM's own path checks the column's type twice and
/// clones its type info each time, a fifth of a 50-task listing's decoding
/// (the statement's columns are the entity's, so their types are known).
fn cell<T>(row: &QueryResult, index: usize) -> Result<T, DbErr>
where
    T: TryGetable + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    match row.try_as_pg_row() {
        Some(pg) => pg
            .try_get_unchecked(index)
            .map_err(|e| DbErr::Type(e.to_string())),
        None => row.try_get_by_index(index),
    }
}

/// The value of `column` (see [`cell`]).
fn get<T>(row: &QueryResult, column: Column) -> Result<T, DbErr>
where
    T: TryGetable + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    cell(row, at(column))
}

/// `read` of the text of `column`, borrowed from the driver's row on
/// PostgreSQL rather than copied into a `String` first.
fn text<R>(row: &QueryResult, column: Column, read: impl FnOnce(&str) -> R) -> Result<R, DbErr> {
    match row.try_as_pg_row() {
        Some(pg) => pg
            .try_get_unchecked::<&str, _>(at(column))
            .map(read)
            .map_err(|e| DbErr::Type(e.to_string())),
        None => Ok(read(&row.try_get_by_index::<String>(at(column))?)),
    }
}

fn corrupt(what: &str) -> DbErr {
    DbErr::Type(format!("a stored task with {what}"))
}

/// The task of `owner` in `row`.
pub(super) fn decode(row: &QueryResult, owner: UserId) -> Result<Task, DbErr> {
    let priority: i16 = get(row, Column::Priority)?;
    let due = match (get(row, Column::DueDate)?, get(row, Column::DueAt)?) {
        (None, None) => None,
        (Some(date), None) => Some(Due::Date(date)),
        (None, Some(at)) => Some(Due::At(at)),
        (Some(_), Some(_)) => return Err(corrupt("two due times")),
    };
    let time_zone = text(row, Column::TimeZone, TimeZone::parse)?
        .map_err(|_| corrupt("an unknown time zone"))?;
    let parent = match get::<Option<i64>>(row, Column::ParentId)? {
        Some(id) => Some(TaskId::new(id).map_err(|_| corrupt("a bad parent id"))?),
        None => None,
    };
    Ok(Task {
        id: TaskId::new(get(row, Column::Id)?).map_err(|_| corrupt("a bad id"))?,
        owner,
        title: get(row, Column::Title)?,
        description: get(row, Column::Description)?,
        completed: get(row, Column::Completed)?,
        completed_at: get(row, Column::CompletedAt)?,
        priority: Priority::new(i64::from(priority))
            .map_err(|_| corrupt("a priority outside 0-4"))?,
        due,
        time_zone,
        parent,
        position: Position::new(get(row, Column::Position)?),
        labels: text(row, Column::Labels, carried)?,
        version: get(row, Column::Version)?,
        created_at: get(row, Column::CreatedAt)?,
        updated_at: get(row, Column::UpdatedAt)?,
    })
}

/// Runs `statement`, which reads task rows of `owner`: the first task.
pub(super) async fn one(
    conn: &impl ConnectionTrait,
    statement: &impl StatementBuilder,
    owner: UserId,
) -> Result<Option<Task>, DbErr> {
    match conn.query_one(statement).await? {
        Some(row) => decode(&row, owner).map(Some),
        None => Ok(None),
    }
}

/// Runs `statement`, which reads task rows of `owner`: every task.
pub(super) async fn all(
    conn: &impl ConnectionTrait,
    statement: &impl StatementBuilder,
    owner: UserId,
) -> Result<Vec<Task>, DbErr> {
    conn.query_all(statement)
        .await?
        .iter()
        .map(|row| decode(row, owner))
        .collect()
}

/// The `due_date` and `due_at` of a due time.
pub(super) fn due_columns(due: Option<Due>) -> (Option<NaiveDate>, Option<DateTime<Utc>>) {
    match due {
        None => (None, None),
        Some(Due::Date(date)) => (Some(date), None),
        Some(Due::At(at)) => (None, Some(at)),
    }
}

/// The `labels` column of a task carrying `names`: each name between
/// line breaks, empty for none (see the `labels` migration).
pub(super) fn carrying(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut column = String::from("\n");
    for name in names {
        column.push_str(name);
        column.push('\n');
    }
    column
}

/// The names a `labels` column holds.
fn carried(column: &str) -> Vec<String> {
    column
        .split('\n')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_go_between_line_breaks_and_come_back() {
        let names = vec!["Home".to_owned(), "Work".to_owned()];
        assert_eq!(carrying(&names), "\nHome\nWork\n");
        assert_eq!(carried(&carrying(&names)), names);
        assert_eq!(carrying(&[]), "");
        assert!(carried("").is_empty());
        assert!(
            carried("\n").is_empty(),
            "what a deletion of the last leaves"
        );
    }
}
