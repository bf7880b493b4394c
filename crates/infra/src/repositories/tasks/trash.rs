//! The trash: a deleted task stays in `tasks` with `deleted_at` set and
//! `trashed_with` naming the task whose deletion took it (itself, when
//! deleted on its own); only those are listed, restored and purged. Every
//! other statement on tasks reads only rows whose `deleted_at` is NULL,
//! but for a label's rename or deletion, which rewrites the tasks in the
//! trash that carry it too (they come back with the label as it is).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QuerySelect, QueryTrait, Statement,
};
use taskpulse_domain::task::{
    MAX_DEPTH, PageLimit, Position, Precondition, StoredKey, StoredTask, Task, TaskId, TrashPage,
    TrashQuery, TrashedTask,
};
use taskpulse_domain::{Bearer, Error, Result};

use super::conditions::owned_at;
use super::miss;
use super::row;
use super::tree::{fits_under, last_top_level};
use crate::db::{Transaction, to_domain};
use crate::entities::tasks::{Column, Entity};
use crate::repositories::live::{author, live};

/// Moves the bearer's task `id` and its subtasks, at every level, to the
/// trash at `now`, inside `txn`, which holds the owner's lock.
pub(super) async fn trash_in(
    txn: &Transaction,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<()> {
    let root = Entity::update_many()
        .col_expr(Column::DeletedAt, now.into())
        .col_expr(Column::TrashedWith, id.get().into())
        .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
        .filter(owned_at(bearer, id, precondition))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    if root.rows_affected == 0 {
        return Err(miss(txn, bearer, id, precondition).await);
    }
    // One level further down each time: the children of what went with it.
    for _ in 0..MAX_DEPTH {
        let mut taken = Query::select();
        taken
            .column(Column::Id)
            .from(Entity)
            .and_where(Column::UserId.eq(bearer.user_id.as_uuid()))
            .and_where(Column::DeletedAt.is_not_null())
            .and_where(Column::TrashedWith.eq(id.get()));
        let level = Entity::update_many()
            .col_expr(Column::DeletedAt, now.into())
            .col_expr(Column::TrashedWith, id.get().into())
            .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
            .filter(Column::UserId.eq(bearer.user_id.as_uuid()))
            .filter(Column::DeletedAt.is_null())
            .filter(Column::ParentId.in_subquery(taken))
            .exec(txn)
            .await
            .map_err(to_domain)?;
        if level.rows_affected == 0 {
            break;
        }
    }
    Ok(())
}

/// The bearer's task `id` as the trash lists it (deleted on its own),
/// while the bearer is live.
fn listed_in_trash(bearer: &Bearer, id: TaskId) -> Condition {
    whole_trash(bearer).add(Column::Id.eq(id.get()))
}

/// The bearer's trash as it is listed, while the bearer is live.
fn whole_trash(bearer: &Bearer) -> Condition {
    Condition::all()
        .add(Column::UserId.eq(bearer.user_id.as_uuid()))
        .add(Column::DeletedAt.is_not_null())
        .add(Expr::col(Column::TrashedWith).equals(Column::Id))
        .add(live(bearer))
}

/// The statements of a page of the bearer's trash, newest deletion first,
/// and of its total (public for the plan checks).
pub fn trash_statements(backend: DbBackend, bearer: &Bearer, query: &TrashQuery) -> [Statement; 2] {
    let page = row::select()
        .column(Column::DeletedAt)
        .cond_where(whole_trash(bearer))
        .order_by(Column::DeletedAt, Order::Desc)
        .order_by(Column::Id, Order::Desc)
        .limit(u64::from(query.limit.get()))
        .offset(query.offset)
        .to_owned();
    let total = Entity::find()
        .select_only()
        .column_as(Expr::col(Column::Id).count(), "total")
        .filter(whole_trash(bearer))
        .into_query();
    [backend.build(&page), backend.build(&total)]
}

/// One page of the bearer's trash, newest deletion first.
pub(super) async fn list(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    query: &TrashQuery,
) -> Result<TrashPage> {
    let [page, total] = trash_statements(conn.get_database_backend(), bearer, query);
    let rows = conn.query_all_raw(page).await.map_err(to_domain)?;
    let tasks = rows
        .iter()
        .map(|found| {
            let task = row::decode(found, bearer.user_id)?;
            let deleted_at = found.try_get_by_index(row::WIDTH)?;
            Ok(TrashedTask { task, deleted_at })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(to_domain)?;
    let total: i64 = conn
        .query_one_raw(total)
        .await
        .map_err(to_domain)?
        .ok_or_else(|| Error::internal("a count without a row"))?
        .try_get_by_index(0)
        .map_err(to_domain)?;
    let total = u64::try_from(total).map_err(Error::internal)?;
    Ok(TrashPage { tasks, total })
}

/// The statement of a page of the bearer's tasks, live or in the trash,
/// in the order they were created, after `after` (public for the plan
/// checks).
pub fn stored_statement(
    backend: DbBackend,
    bearer: &Bearer,
    after: Option<StoredKey>,
    limit: PageLimit,
) -> Statement {
    let mut page = row::select();
    page.column(Column::DeletedAt)
        .and_where(Column::UserId.eq(bearer.user_id.as_uuid()))
        .and_where(live(bearer))
        .order_by(Column::CreatedAt, Order::Asc)
        .order_by(Column::Id, Order::Asc)
        .limit(u64::from(limit.get()));
    if let Some(after) = after {
        let key = |created_at: Expr, id: Expr| Expr::tuple([created_at, id]);
        page.and_where(
            key(Expr::col(Column::CreatedAt), Expr::col(Column::Id))
                .gt(key(Expr::val(after.created_at), Expr::val(after.id.get()))),
        );
    }
    backend.build(&page)
}

/// A page of the bearer's tasks, live or in the trash, in id order.
pub(super) async fn stored(
    conn: &impl ConnectionTrait,
    bearer: &Bearer,
    after: Option<StoredKey>,
    limit: PageLimit,
) -> Result<Vec<StoredTask>> {
    let statement = stored_statement(conn.get_database_backend(), bearer, after, limit);
    let rows = conn.query_all_raw(statement).await.map_err(to_domain)?;
    rows.iter()
        .map(|found| {
            let task = row::decode(found, bearer.user_id)?;
            let deleted_at = found.try_get_by_index(row::WIDTH)?;
            Ok(StoredTask { task, deleted_at })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(to_domain)
}

/// Brings the bearer's deleted task `id` back with what went with it,
/// inside `txn`, which holds the owner's lock: under its parent, or at the
/// top level when the parent is gone or the subtree would be too deep
/// there.
pub(super) async fn restore_in(
    txn: &Transaction,
    bearer: &Bearer,
    id: TaskId,
    precondition: Precondition,
    now: DateTime<Utc>,
) -> Result<Task> {
    let mut wanted = listed_in_trash(bearer, id);
    if let Precondition::Version(version) = precondition {
        wanted = wanted.add(Column::Version.eq(version));
    }
    let select = row::select().cond_where(wanted).limit(1).to_owned();
    let Some(task) = row::one(txn, &select, bearer.user_id)
        .await
        .map_err(to_domain)?
    else {
        let there = Entity::find()
            .filter(listed_in_trash(bearer, id))
            .count(txn)
            .await
            .map_err(to_domain)?;
        return Err(if there > 0 {
            Error::PreconditionFailed
        } else {
            Error::NotFound
        });
    };
    let to_top = match task.parent {
        Some(parent) => !fits_under(txn, bearer.user_id, parent, id).await?,
        None => false,
    };
    let back = Entity::update_many()
        .col_expr(Column::DeletedAt, Expr::value(None::<DateTime<Utc>>))
        .col_expr(Column::TrashedWith, Expr::value(None::<i64>))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, now.into())
        .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
        .filter(Column::UserId.eq(bearer.user_id.as_uuid()))
        .filter(Column::DeletedAt.is_not_null())
        .filter(Column::TrashedWith.eq(id.get()));
    txn.execute(&back.into_query()).await.map_err(to_domain)?;
    if to_top {
        let last = last_top_level(txn, bearer.user_id).await?;
        let position =
            Position::after(last).ok_or_else(|| Error::internal("no room after the last task"))?;
        let top = Entity::update_many()
            .col_expr(Column::ParentId, Expr::value(None::<i64>))
            .col_expr(Column::Position, position.get().into())
            .filter(Column::Id.eq(id.get()))
            .filter(Column::UserId.eq(bearer.user_id.as_uuid()));
        txn.execute(&top.into_query()).await.map_err(to_domain)?;
    }
    let select = row::select()
        .cond_where(owned_at(bearer, id, Precondition::None))
        .limit(1)
        .to_owned();
    row::one(txn, &select, bearer.user_id)
        .await
        .map_err(to_domain)?
        .ok_or_else(|| Error::internal("a restored task was not read back"))
}

/// Erases the bearer's deleted task `id` and everything under it (the
/// foreign key's cascade) at `now`, inside `txn`, which holds the owner's
/// lock. The rows are first stamped with the bearer's session and `now`,
/// which the change log's tombstones take.
pub(super) async fn purge_in(
    txn: &Transaction,
    bearer: &Bearer,
    id: TaskId,
    now: DateTime<Utc>,
) -> Result<()> {
    let there = Entity::find()
        .filter(listed_in_trash(bearer, id))
        .count(txn)
        .await
        .map_err(to_domain)?;
    if there == 0 {
        return Err(Error::NotFound);
    }
    let mut going = vec![id.get()];
    let mut level = going.clone();
    for _ in 0..MAX_DEPTH {
        level = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::UserId.eq(bearer.user_id.as_uuid()))
            .filter(Column::ParentId.is_in(level))
            .into_tuple::<i64>()
            .all(txn)
            .await
            .map_err(to_domain)?;
        if level.is_empty() {
            break;
        }
        going.extend(&level);
    }
    Entity::update_many()
        .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::UserId.eq(bearer.user_id.as_uuid()))
        .filter(Column::Id.is_in(going))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Entity::delete_many()
        .filter(listed_in_trash(bearer, id))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

/// Erases every user's tasks deleted before `before`, inside `txn`: each
/// subtree went to the trash at one time, and what was deleted on its own
/// under it went earlier, so every row under an erased task goes too. The
/// rows are counted first, as the cascade's rows are not counted alike by
/// both databases, and stamped with `now` and no session, which the
/// change log's tombstones take.
pub(super) async fn purge_deleted_before(
    txn: &Transaction,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let expired = || {
        Condition::all()
            .add(Column::DeletedAt.is_not_null())
            .add(Column::DeletedAt.lt(before))
    };
    let count = Entity::find()
        .filter(expired())
        .count(txn)
        .await
        .map_err(to_domain)?;
    Entity::update_many()
        .col_expr(Column::ChangedBy, Expr::val(None::<uuid::Uuid>))
        .col_expr(Column::UpdatedAt, now.into())
        .filter(expired())
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Entity::delete_many()
        .filter(expired())
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(count)
}
