//! The statements of a listing: one page in the query's order, and the
//! number of matches when the page does not tell it.

use sea_orm::sea_query::{Asterisk, Expr, Func, NullOrdering, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use taskpulse_domain::changes::ChangeSeq;
use taskpulse_domain::task::{SortField, Task, TaskQuery};
use taskpulse_domain::{Bearer, Result};

use super::conditions::filter;
use super::row;
use crate::db::to_domain;
use crate::entities::tasks::{Column, Entity};
use crate::repositories::changes::{latest_of, position};

/// The page query of a listing, in the order of [`TaskQuery::order`];
/// each row also carries the owner's latest change, after the task's
/// columns, read in the page's own snapshot.
fn page_select(bearer: &Bearer, query: &TaskQuery) -> SelectStatement {
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
        SortField::Position => Column::Position,
    };
    let mut select = row::select();
    select
        .expr(latest_of(bearer))
        .cond_where(filter(bearer, query));
    // Only the due time can be NULL. `NULLS LAST` on a column that cannot
    // would still keep PostgreSQL from reading a descending order straight
    // off the index (whose backward order puts NULLs first).
    if query.sort.field == SortField::Due {
        select.order_by_with_nulls((Entity, column), order.clone(), NullOrdering::Last);
    } else {
        select.order_by((Entity, column), order.clone());
    }
    select
        .order_by((Entity, Column::Id), order)
        .limit(u64::from(query.limit.get()))
        .offset(query.offset)
        .to_owned()
}

/// Runs [`page_select`]: the page's tasks, and the owner's latest change
/// when the page has a row to carry it.
pub(super) async fn page(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    query: &TaskQuery,
) -> Result<(Vec<Task>, Option<ChangeSeq>)> {
    let rows = conn
        .query_all(&page_select(bearer, query))
        .await
        .map_err(to_domain)?;
    let latest = match rows.first() {
        Some(first) => Some(position(
            first.try_get_by_index(row::WIDTH).map_err(to_domain)?,
        )?),
        None => None,
    };
    let tasks = rows
        .iter()
        .map(|found| row::decode(found, bearer.user_id))
        .collect::<Result<_, _>>()
        .map_err(to_domain)?;
    Ok((tasks, latest))
}

/// The number of the listing's matches, in a `total` column.
pub(super) fn count_select(bearer: &Bearer, query: &TaskQuery) -> SelectStatement {
    Query::select()
        .expr_as(Func::count(Expr::col(Asterisk)), "total")
        .from(Entity)
        .cond_where(filter(bearer, query))
        .to_owned()
}

/// Whether a page of `shown` tasks leaves the number of matches to count:
/// a page that is not full ends them, so their number is the offset plus
/// its size, unless it is empty past the end.
pub(super) fn needs_count(query: &TaskQuery, shown: u64) -> bool {
    shown >= u64::from(query.limit.get()) || (shown == 0 && query.offset > 0)
}

/// The SQL a listing runs, its page and then its count, for query-plan
/// checks.
pub fn list_statements(backend: DbBackend, bearer: &Bearer, query: &TaskQuery) -> [Statement; 2] {
    [
        backend.build(&page_select(bearer, query)),
        backend.build(&count_select(bearer, query)),
    ]
}
