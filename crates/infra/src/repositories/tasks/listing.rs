//! The statement of a listing: one page in the query's order, with the
//! number of matches.

use sea_orm::sea_query::NullOrdering;
use sea_orm::sea_query::{Asterisk, Expr, Func, Query};
use sea_orm::{
    DbBackend, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement,
};
use taskpulse_domain::Bearer;
use taskpulse_domain::task::{SortField, TaskQuery};

use super::conditions::{filter, matching};
use super::row;
use crate::entities::tasks::{Column, Entity};

/// The page query of a listing, in the order of [`TaskQuery::order`], with
/// the number of matches in a `total` column. The count is a subquery
/// rather than `COUNT(*) OVER ()`, which would read every matching row in
/// full to return a page of them.
pub(super) fn list_select(bearer: &Bearer, query: &TaskQuery) -> Select<Entity> {
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
        SortField::Position => Column::Position,
    };
    let select = row::select()
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
