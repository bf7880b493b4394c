//! The tasks of a change feed: the owner's rows changed in a range of the
//! log, by the `(user_id, change_seq)` index.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, DbErr, Order, QueryResult};
use taskpulse_domain::Bearer;
use taskpulse_domain::changes::{ChangeSeq, Changed, Deletion, FeedEntry};

use super::row;
use crate::entities::tasks::Column;
use crate::repositories::live::live;

/// `SELECT` the bearer's tasks whose latest change is after `since` and
/// at most `head`, earliest first, at most `fetch` of them; without the
/// ones in the trash for a snapshot.
pub fn feed_select(
    bearer: &Bearer,
    since: ChangeSeq,
    head: ChangeSeq,
    fetch: u64,
    snapshot: bool,
) -> SelectStatement {
    let mut select = row::select()
        .column(Column::ChangeSeq)
        .column(Column::DeletedAt)
        .and_where(Column::UserId.eq(bearer.user_id.as_uuid()))
        .and_where(Column::ChangeSeq.gt(since.get()))
        .and_where(Column::ChangeSeq.lte(head.get()))
        .and_where(live(bearer))
        .order_by(Column::ChangeSeq, Order::Asc)
        .limit(fetch)
        .to_owned();
    if snapshot {
        select.and_where(Column::DeletedAt.is_null());
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
