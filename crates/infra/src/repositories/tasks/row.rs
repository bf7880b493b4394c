//! A `tasks` row read into a [`Task`] by column position.
//!
//! SeaORM's derived decoders find each column by a name built per column
//! per row; a listing of 50 wide rows spent a quarter of its time on that.
//! Every statement here selects the columns of [`Column::iter()`] in order
//! (the entity's field order, which is also the table's) up to
//! [`COLUMNS`], so a column's position is its place in [`Column`].

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Query, ReturningClause};
use sea_orm::sqlx::{self, Row as _};
use sea_orm::{
    DbErr, EntityTrait, FromQueryResult, Iterable, QueryResult, QuerySelect, Select, TryGetable,
};
use taskpulse_domain::task::{Due, Position, Priority, Task, TaskId, TimeZone};
use taskpulse_domain::user::UserId;

use crate::entities::tasks::{Column, Entity};

/// A task decoded from the first [`COLUMNS`] of a row.
pub(super) struct TaskRow(pub(super) Task);

/// How many columns a task row has; a listing's `total` follows them.
/// `due_deadline`, the table's last, is left out: [`Task::deadline`]
/// derives it.
pub(super) const COLUMNS: usize = Column::Labels as usize + 1;

/// The columns [`TaskRow`] reads, in order.
fn read() -> impl Iterator<Item = Column> {
    Column::iter().take(COLUMNS)
}

/// `SELECT` the columns [`TaskRow`] reads, in order.
pub(super) fn select() -> Select<Entity> {
    Entity::find().select_only().columns(read())
}

/// `RETURNING` the columns [`TaskRow`] reads, in order.
pub(super) fn returning() -> ReturningClause {
    Query::returning().columns(read())
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
    cell(row, column as usize)
}

fn corrupt(what: &str) -> DbErr {
    DbErr::Type(format!("a stored task with {what}"))
}

impl FromQueryResult for TaskRow {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let priority: i16 = get(row, Column::Priority)?;
        let due = match (get(row, Column::DueDate)?, get(row, Column::DueAt)?) {
            (None, None) => None,
            (Some(date), None) => Some(Due::Date(date)),
            (None, Some(at)) => Some(Due::At(at)),
            (Some(_), Some(_)) => return Err(corrupt("two due times")),
        };
        let time_zone: String = get(row, Column::TimeZone)?;
        let parent = match get::<Option<i64>>(row, Column::ParentId)? {
            Some(id) => Some(TaskId::new(id).map_err(|_| corrupt("a bad parent id"))?),
            None => None,
        };
        Ok(Self(Task {
            id: TaskId::new(get(row, Column::Id)?).map_err(|_| corrupt("a bad id"))?,
            owner: UserId::from(get::<uuid::Uuid>(row, Column::UserId)?),
            title: get(row, Column::Title)?,
            description: get(row, Column::Description)?,
            completed: get(row, Column::Completed)?,
            completed_at: get(row, Column::CompletedAt)?,
            priority: Priority::new(i64::from(priority))
                .map_err(|_| corrupt("a priority outside 0-4"))?,
            due,
            time_zone: TimeZone::parse(&time_zone).map_err(|_| corrupt("an unknown time zone"))?,
            parent,
            position: Position::new(get(row, Column::Position)?),
            labels: carried(&get::<String>(row, Column::Labels)?),
            version: get(row, Column::Version)?,
            created_at: get(row, Column::CreatedAt)?,
            updated_at: get(row, Column::UpdatedAt)?,
        }))
    }
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

/// A listed task with the number of matches before paging, in the column
/// after the task's.
pub(super) struct CountedTask {
    pub(super) task: Task,
    pub(super) total: i64,
}

impl FromQueryResult for CountedTask {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            task: TaskRow::from_query_result(row, prefix)?.0,
            total: cell(row, COLUMNS)?,
        })
    }
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
