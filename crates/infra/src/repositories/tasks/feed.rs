//! The tasks of a change feed. After a position, they are found through
//! the log: the changes in the range that are their task's latest (the
//! row's `change_seq`), by the log's `(user_id, seq)` key, so that
//! `tasks.change_seq` needs no index and a task's update stays a HOT one.
//! A snapshot reads the owner's rows themselves (the log forgets its old
//! entries), in the order of their latest change.

use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};
use sea_orm::{DbErr, Order, QueryResult};
use taskpulse_domain::Bearer;
use taskpulse_domain::changes::{ChangeSeq, Changed, Deletion, FeedEntry, FeedQuery};

use super::row;
use crate::entities::changes;
use crate::entities::tasks::{Column, Entity};
use crate::repositories::changes::stored;
use crate::repositories::live::live;

/// `SELECT` the bearer's tasks whose latest change is after `query.since`
/// and at most `head`, earliest first, at most `fetch` of them; for a
/// snapshot, without the ones in the trash.
pub fn feed_select(
    bearer: &Bearer,
    query: FeedQuery,
    head: ChangeSeq,
    fetch: u64,
) -> SelectStatement {
    let mut select = row::select()
        .column((Entity, Column::ChangeSeq))
        .column((Entity, Column::DeletedAt))
        .and_where(Expr::col((Entity, Column::UserId)).eq(bearer.user_id.as_uuid()))
        .and_where(live(bearer))
        .limit(fetch)
        .to_owned();
    if query.snapshot {
        select
            .and_where(Expr::col((Entity, Column::ChangeSeq)).gt(stored(query.since)))
            .and_where(Expr::col((Entity, Column::ChangeSeq)).lte(stored(head)))
            .and_where(Expr::col((Entity, Column::DeletedAt)).is_null())
            .order_by((Entity, Column::ChangeSeq), Order::Asc);
    } else {
        let log = |column: changes::Column| Expr::col((changes::Entity, column));
        select
            .inner_join(
                changes::Entity,
                log(changes::Column::EntityId)
                    .equals((Entity, Column::Id))
                    .and(log(changes::Column::Seq).equals((Entity, Column::ChangeSeq))),
            )
            .and_where(log(changes::Column::UserId).eq(bearer.user_id.as_uuid()))
            .and_where(log(changes::Column::Kind).eq(Changed::Task.as_str()))
            .and_where(log(changes::Column::Seq).gt(stored(query.since)))
            .and_where(log(changes::Column::Seq).lte(stored(head)))
            .order_by((changes::Entity, changes::Column::Seq), Order::Asc);
    }
    select
}

/// A row of [`feed_select`]: the task, or its deletion while it is in the
/// trash.
pub(crate) fn feed_entry(
    found: &QueryResult,
    bearer: &Bearer,
) -> Result<(ChangeSeq, FeedEntry), DbErr> {
    let task = row::decode(found, bearer.user_id)?;
    let seq: i64 = found.try_get_by_index(row::WIDTH)?;
    let seq = ChangeSeq::new(u64::try_from(seq).map_err(|e| DbErr::Type(e.to_string()))?);
    let entry = match found.try_get_by_index(row::WIDTH + 1)? {
        None => FeedEntry::Task(task),
        Some(deleted_at) => FeedEntry::Deleted(Deletion {
            kind: Changed::Task,
            id: task.id.get(),
            deleted_at,
        }),
    };
    Ok((seq, entry))
}
