//! Subtasks and manual order: what a placement needs to know (the new
//! parent's ancestors, the height of the moved subtree, the siblings), read
//! inside the transaction that writes it, after `lock_owner`.

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, SqlErr,
};
use taskpulse_domain::task::{
    MAX_DEPTH, Placement, PlacementError, Position, Spot, Task, TaskId, check_parent, place,
};
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Bearer, Error, Result};

use crate::db::to_domain;
use crate::entities::tasks::{Column, Entity};
use crate::repositories::live::author;

/// The key of the owner's last task under `parent` outside the trash:
/// read off the end of the position index, whatever the table's
/// statistics (`MAX(position)` under a generic plan, on a table not
/// analyzed yet, read every key of the owner: 3 ms a create at 35 000
/// tasks).
fn last_position(owner: UserId, parent: Option<TaskId>) -> SelectStatement {
    Query::select()
        .column(Column::Position)
        .from(Entity)
        .and_where(Column::UserId.eq(owner.as_uuid()))
        .and_where(of_parent(parent))
        .and_where(Column::DeletedAt.is_null())
        .order_by(Column::Position, Order::Desc)
        .limit(1)
        .to_owned()
}

/// The key a new task takes after the last of the owner's tasks under
/// `parent`: the SQL form of [`Position::after`].
pub(super) fn next_position(owner: UserId, parent: Option<TaskId>) -> SimpleExpr {
    ranked_position(owner, parent, Expr::val(1))
}

/// The key of the `rank`-th (from 1) of tasks added one after the other
/// after the last of the owner's tasks under `parent`, in one statement:
/// [`Position::after`] `rank` times.
pub(super) fn ranked_position(
    owner: UserId,
    parent: Option<TaskId>,
    rank: SimpleExpr,
) -> SimpleExpr {
    let last = last_position(owner, parent);
    Expr::expr(Expr::SubQuery(None, Box::new(last.into())))
        .if_null(0)
        .add(rank.mul(Position::GAP))
}

/// The key of the owner's last top-level task, if any.
pub(super) async fn last_top_level(
    conn: &impl ConnectionTrait,
    owner: UserId,
) -> Result<Option<Position>> {
    let row = conn
        .query_one(&last_position(owner, None))
        .await
        .map_err(to_domain)?;
    let key: Option<i64> = match row {
        Some(row) => Some(row.try_get_by_index(0).map_err(to_domain)?),
        None => None,
    };
    Ok(key.map(Position::new))
}

/// The owner's tasks under `parent` (`None`: at top level).
fn of_parent(parent: Option<TaskId>) -> SimpleExpr {
    match parent {
        Some(parent) => Column::ParentId.eq(parent.get()),
        None => Column::ParentId.is_null(),
    }
}

/// Checks `parent` for a task that is not created yet.
pub(super) async fn check_new_parent(
    txn: &impl ConnectionTrait,
    owner: UserId,
    parent: TaskId,
) -> Result<()> {
    let chain = ancestors(txn, owner, parent).await?;
    check_parent(None, &chain, 1).map_err(Error::Placement)
}

/// Checks `placement` of `task` and finds its place: its new parent and
/// [`Spot`].
pub(super) async fn spot(
    txn: &impl ConnectionTrait,
    task: &Task,
    placement: Placement,
) -> Result<(Option<TaskId>, Spot)> {
    let parent = placement.parent.unwrap_or(task.parent);
    if parent != task.parent
        && let Some(parent) = parent
    {
        let chain = ancestors(txn, task.owner, parent).await?;
        let height = height(txn, task.owner, task.id).await?;
        check_parent(Some(task.id), &chain, height).map_err(Error::Placement)?;
    }
    let kept = (parent == task.parent).then_some(task.position);
    let siblings = siblings(txn, task.owner, parent, task.id).await?;
    let spot = place(placement.slot, kept, &siblings).map_err(Error::Placement)?;
    Ok((parent, spot))
}

/// `parent` and its ancestors, nearest first, as far as one level past
/// [`MAX_DEPTH`].
///
/// # Errors
/// [`PlacementError::UnknownParent`] when `parent` is not the owner's.
async fn ancestors(
    txn: &impl ConnectionTrait,
    owner: UserId,
    parent: TaskId,
) -> Result<Vec<TaskId>> {
    let mut chain = Vec::new();
    let mut next = Some(parent);
    while let Some(id) = next.filter(|_| chain.len() <= MAX_DEPTH) {
        let found: Option<Option<i64>> = Entity::find()
            .select_only()
            .column(Column::ParentId)
            .filter(Column::Id.eq(id.get()))
            .filter(Column::UserId.eq(owner.as_uuid()))
            .filter(Column::DeletedAt.is_null())
            .into_tuple()
            .one(txn)
            .await
            .map_err(to_domain)?;
        let Some(up) = found else {
            return Err(Error::Placement(PlacementError::UnknownParent));
        };
        chain.push(id);
        next = up.map(TaskId::new).transpose().map_err(Error::internal)?;
    }
    Ok(chain)
}

/// Whether the owner's deleted task `id` can come back under `parent`:
/// the parent is one of the owner's tasks outside the trash, and the
/// subtree deleted with `id` fits under it ([`check_parent`]).
pub(super) async fn fits_under(
    txn: &impl ConnectionTrait,
    owner: UserId,
    parent: TaskId,
    id: TaskId,
) -> Result<bool> {
    let chain = match ancestors(txn, owner, parent).await {
        Ok(chain) => chain,
        Err(Error::Placement(_)) => return Ok(false),
        Err(err) => return Err(err),
    };
    let deleted_with = Column::TrashedWith.eq(id.get());
    let height = height_within(txn, owner, id, deleted_with).await?;
    Ok(check_parent(Some(id), &chain, height).is_ok())
}

/// How many levels the subtree of `id` outside the trash has, itself
/// included (at most one more than [`MAX_DEPTH`]).
async fn height(txn: &impl ConnectionTrait, owner: UserId, id: TaskId) -> Result<usize> {
    height_within(txn, owner, id, Column::DeletedAt.is_null()).await
}

/// How many levels the subtree of `id` has, itself and the rows below it
/// that match `rows` included (at most one more than [`MAX_DEPTH`]).
async fn height_within(
    txn: &impl ConnectionTrait,
    owner: UserId,
    id: TaskId,
    rows: SimpleExpr,
) -> Result<usize> {
    // Each level is a subquery of the one above, so that no level's ids
    // travel as parameters (a wide subtree would pass the driver's limit).
    let mut level = Query::select();
    level
        .column(Column::Id)
        .from(Entity)
        .and_where(Column::UserId.eq(owner.as_uuid()))
        .and_where(Column::Id.eq(id.get()));
    let mut height = 0;
    while height <= MAX_DEPTH {
        let mut any = level.clone();
        any.limit(1);
        if txn.query_one(&any).await.map_err(to_domain)?.is_none() {
            break;
        }
        height += 1;
        let mut below = Query::select();
        below
            .column(Column::Id)
            .from(Entity)
            .and_where(Column::UserId.eq(owner.as_uuid()))
            .and_where(rows.clone())
            .and_where(Column::ParentId.in_subquery(level));
        level = below;
    }
    Ok(height)
}

/// The owner's tasks under `parent` other than `except`, in order.
async fn siblings(
    txn: &impl ConnectionTrait,
    owner: UserId,
    parent: Option<TaskId>,
    except: TaskId,
) -> Result<Vec<(TaskId, Position)>> {
    let rows: Vec<(i64, i64)> = Entity::find()
        .select_only()
        .columns([Column::Id, Column::Position])
        .filter(Column::UserId.eq(owner.as_uuid()))
        .filter(of_parent(parent))
        .filter(Column::DeletedAt.is_null())
        .filter(Column::Id.ne(except.get()))
        .order_by(Column::Position, Order::Asc)
        .order_by(Column::Id, Order::Asc)
        .into_tuple()
        .all(txn)
        .await
        .map_err(to_domain)?;
    rows.into_iter()
        .map(|(id, position)| {
            Ok((
                TaskId::new(id).map_err(Error::internal)?,
                Position::new(position),
            ))
        })
        .collect()
}

/// How many siblings one renumbering statement rewrites: three
/// parameters each, well under SQLite's limit of 32 766.
const RENUMBERED_PER_STATEMENT: usize = 1_000;

/// Writes the keys of renumbered siblings, each one version more: one
/// `UPDATE … SET position = CASE id WHEN … END` per thousand of them, so
/// that a parent with many children holds the write lock for one
/// statement rather than one per child.
pub(super) async fn renumber(
    txn: &impl ConnectionTrait,
    bearer: &Bearer,
    renumbered: &[(TaskId, Position)],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    for chunk in renumbered.chunks(RENUMBERED_PER_STATEMENT) {
        let Some(((first_id, first_key), rest)) = chunk.split_first() else {
            continue;
        };
        let key = rest
            .iter()
            .fold(
                Expr::case(Column::Id.eq(first_id.get()), first_key.get()),
                |key, (id, position)| key.case(Column::Id.eq(id.get()), position.get()),
            )
            .finally(Expr::col(Column::Position));
        let update = Entity::update_many()
            .col_expr(Column::Position, key.into())
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .col_expr(Column::UpdatedAt, now.into())
            .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
            .filter(Column::Id.is_in(chunk.iter().map(|(id, _)| id.get())))
            .filter(Column::UserId.eq(bearer.user_id.as_uuid()))
            .into_query();
        txn.execute(&update).await.map_err(to_domain)?;
    }
    Ok(())
}

/// A write that named a parent which a concurrent write deleted: the
/// foreign key refused it.
pub(super) fn unless_parent_gone(err: DbErr) -> Error {
    if matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    ) {
        Error::Placement(PlacementError::UnknownParent)
    } else {
        to_domain(err)
    }
}
