//! The `WHERE` conditions of task statements: the owner and liveness
//! scope every statement carries, and the SQL forms of the domain's
//! matching rules.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};
use taskpulse_domain::Bearer;
use taskpulse_domain::task::{Precondition, TaskChanges, TaskId, TaskQuery};
use taskpulse_domain::user::UserId;

use super::labels::carries;
use super::row::due_columns;
use crate::entities::tasks::Column;
use crate::repositories::live::live;

/// The bearer's task `id`, while the bearer is live and the task is not in
/// the trash.
pub(super) fn owned(bearer: &Bearer, id: TaskId) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id.get()))
        .add(Column::UserId.eq(bearer.user_id.as_uuid()))
        .add(Column::DeletedAt.is_null())
        .add(live(bearer))
}

/// [`owned`] plus the `If-Match` version, when there is one.
pub(super) fn owned_at(bearer: &Bearer, id: TaskId, precondition: Precondition) -> Condition {
    match precondition {
        Precondition::None => owned(bearer, id),
        Precondition::Version(v) => owned(bearer, id).add(Column::Version.eq(v)),
    }
}

/// The SQL form of [`TaskChanges::is_kept_by`]: the task already has every
/// value `changes` gives. True or false, never NULL, so that `NOT` of it
/// is too.
pub(super) fn unchanged(changes: &TaskChanges) -> Condition {
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

/// The owner's tasks outside the trash that `query` matches: the SQL form
/// of [`TaskQuery::matches`].
pub(super) fn matching(owner: UserId, query: &TaskQuery) -> Condition {
    let mut condition = Condition::all()
        .add(Column::UserId.eq(owner.as_uuid()))
        .add(Column::DeletedAt.is_null());
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
    if let Some(top_level) = query.top_level {
        condition = condition.add(if top_level {
            Column::ParentId.is_null()
        } else {
            Column::ParentId.is_not_null()
        });
    }
    if let Some(parent) = query.parent {
        condition = condition.add(Column::ParentId.eq(parent.get()));
    }
    if let Some(overdue) = query.overdue {
        // Never NULL, so that its NOT is not either.
        let late = Condition::all()
            .add(Column::Completed.eq(false))
            .add(Column::DueDeadline.is_not_null())
            .add(Column::DueDeadline.lt(query.now));
        condition = condition.add(if overdue { late } else { late.not() });
    }
    for label in &query.labels {
        condition = condition.add(carries(owner, label));
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
pub(super) fn filter(bearer: &Bearer, query: &TaskQuery) -> Condition {
    matching(bearer.user_id, query).add(live(bearer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_match_only_themselves() {
        assert_eq!(like_pattern(r"50%_off\Now"), r"%50\%\_off\\Now%");
    }
}
