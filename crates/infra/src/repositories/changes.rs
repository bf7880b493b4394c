//! The change log (`changes`, and the `change_seq` of users, tasks and
//! labels), which the migration's triggers write; read here. A feed read
//! takes the owner's latest sequence number first and reads nothing
//! after it: a write that commits meanwhile has a higher number (numbers
//! follow commit order), so it is left whole for the next read, and the
//! statements need no common snapshot. The first statement also says
//! whether any label or tombstone is after the reader's position, so
//! that a read skips the statements that would find nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement,
};
use taskpulse_domain::changes::{
    ActivityQuery, Change, ChangeAction, ChangeFeed, ChangeSeq, Changed, Deletion, FeedEntry,
    FeedPage, FeedQuery,
};
use taskpulse_domain::session::SessionId;
use taskpulse_domain::{Bearer, Error, Result};

use super::labels::to_label;
use super::live::live;
use super::tasks::{feed_entry, feed_select};
use crate::db::{Database, to_domain};
use crate::entities::{changes, labels, users};

/// [`ChangeFeed`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaChangeFeed {
    db: Database,
}

impl SeaChangeFeed {
    /// A feed on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// A stored sequence number as a position.
pub(crate) fn position(seq: i64) -> Result<ChangeSeq> {
    u64::try_from(seq)
        .map(ChangeSeq::new)
        .map_err(Error::internal)
}

/// A position as a stored sequence number.
pub(crate) fn stored(seq: ChangeSeq) -> i64 {
    i64::try_from(seq.get()).unwrap_or(i64::MAX)
}

/// The owner's latest sequence number: the log's last, or the number
/// the migration gave the rows that existed before the log (on
/// PostgreSQL the triggers leave `users.change_seq` at that).
const LATEST: &str = "CASE WHEN COALESCE((SELECT MAX(seq) FROM changes \
     WHERE changes.user_id = users.id), 0) > users.change_seq \
     THEN (SELECT MAX(seq) FROM changes WHERE changes.user_id = users.id) \
     ELSE users.change_seq END";

/// `SELECT` the bearer's latest sequence number, while the bearer is live.
fn head_select(bearer: &Bearer) -> SelectStatement {
    Query::select()
        .expr(Expr::cust(LATEST))
        .from(users::Entity)
        .and_where(users::Column::Id.eq(bearer.user_id.as_uuid()))
        .and_where(live(bearer))
        .to_owned()
}

/// The bearer's latest sequence number as a value: a subquery that reads
/// nothing of the statement it is in, so evaluated once per statement,
/// in that statement's snapshot.
pub(crate) fn latest_of(bearer: &Bearer) -> SimpleExpr {
    let mut latest = Query::select();
    latest
        .expr(Expr::cust(LATEST))
        .from(users::Entity)
        .and_where(users::Column::Id.eq(bearer.user_id.as_uuid()));
    Expr::SubQuery(None, Box::new(latest.into()))
}

/// The latest change of the owner's labels (through their index).
const LABELS_LATEST: &str = "(SELECT MAX(labels.change_seq) FROM labels \
     WHERE labels.user_id = users.id)";

/// The owner's latest tombstone (through the log's index of them).
const ERASED_LATEST: &str = "(SELECT MAX(erased.seq) FROM changes AS erased \
     WHERE erased.user_id = users.id \
     AND (erased.action = 'purged' OR (erased.kind = 'label' AND erased.action = 'deleted')))";

/// The statement that begins a feed read: the bearer's latest sequence
/// number, and the latest of its labels' and of its tombstones', while
/// the bearer is live; a read skips the labels' or the tombstones'
/// statement when none of theirs is after its position (public for the
/// plan checks).
pub fn feed_head_statement(backend: DbBackend, bearer: &Bearer) -> Statement {
    let mut select = head_select(bearer);
    select
        .expr(Expr::cust(LABELS_LATEST))
        .expr(Expr::cust(ERASED_LATEST));
    backend.build(&select)
}

/// `SELECT` the bearer's tombstones (what is gone for good) after `since`
/// and at most `head`, earliest first, at most `fetch` of them.
fn tombstones_select(
    bearer: &Bearer,
    since: ChangeSeq,
    head: ChangeSeq,
    fetch: u64,
) -> SelectStatement {
    let erased = Expr::col(changes::Column::Action)
        .eq(ChangeAction::Purged.as_str())
        .or(Expr::col(changes::Column::Kind)
            .eq(Changed::Label.as_str())
            .and(Expr::col(changes::Column::Action).eq(ChangeAction::Deleted.as_str())));
    changes::Entity::find()
        .select_only()
        .columns([
            changes::Column::Seq,
            changes::Column::Kind,
            changes::Column::EntityId,
            changes::Column::At,
        ])
        .filter(changes::Column::UserId.eq(bearer.user_id.as_uuid()))
        .filter(changes::Column::Seq.gt(stored(since)))
        .filter(changes::Column::Seq.lte(stored(head)))
        .filter(erased)
        .order_by(changes::Column::Seq, Order::Asc)
        .limit(fetch)
        .into_query()
}

/// The statements of a feed read after the head is known: tasks, labels
/// and tombstones (public for the plan checks).
pub fn feed_statements(
    backend: DbBackend,
    bearer: &Bearer,
    query: FeedQuery,
    head: ChangeSeq,
) -> [Statement; 3] {
    let since = query.since;
    let fetch = u64::from(query.limit) + 1;
    let labels = labels::Entity::find()
        .filter(labels::Column::UserId.eq(bearer.user_id.as_uuid()))
        .filter(labels::Column::ChangeSeq.gt(stored(since)))
        .filter(labels::Column::ChangeSeq.lte(stored(head)))
        .filter(live(bearer))
        .order_by(labels::Column::ChangeSeq, Order::Asc)
        .limit(fetch)
        .into_query();
    [
        backend.build(&feed_select(bearer, query, head, fetch)),
        backend.build(&labels),
        backend.build(&tombstones_select(bearer, since, head, fetch)),
    ]
}

/// A tombstone row as a feed entry.
fn tombstone(row: &sea_orm::QueryResult) -> Result<(ChangeSeq, FeedEntry)> {
    let seq: i64 = row.try_get_by_index(0).map_err(to_domain)?;
    let kind: String = row.try_get_by_index(1).map_err(to_domain)?;
    let deletion = Deletion {
        kind: Changed::parse(&kind).ok_or_else(|| Error::internal("a change of nothing known"))?,
        id: row.try_get_by_index(2).map_err(to_domain)?,
        deleted_at: row.try_get_by_index(3).map_err(to_domain)?,
    };
    Ok((position(seq)?, FeedEntry::Deleted(deletion)))
}

/// A `changes` row as a change.
fn to_change(model: changes::Model) -> Result<Change> {
    let unknown = || Error::internal("a change of nothing known");
    Ok(Change {
        seq: position(model.seq)?,
        kind: Changed::parse(&model.kind).ok_or_else(unknown)?,
        id: model.entity_id,
        action: ChangeAction::parse(&model.action).ok_or_else(unknown)?,
        fields: model
            .fields
            .split(',')
            .filter(|field| !field.is_empty())
            .map(str::to_owned)
            .collect(),
        session: model.session_id.map(SessionId::from),
        at: model.at,
    })
}

#[async_trait]
impl ChangeFeed for SeaChangeFeed {
    async fn head(&self, bearer: &Bearer) -> Result<Option<ChangeSeq>> {
        let row = self
            .db
            .query_one(&head_select(bearer))
            .await
            .map_err(to_domain)?;
        match row {
            Some(row) => position(row.try_get_by_index(0).map_err(to_domain)?).map(Some),
            None => Ok(None),
        }
    }

    async fn feed(&self, bearer: &Bearer, query: FeedQuery) -> Result<Option<FeedPage>> {
        let backend = self.db.get_database_backend();
        let found = self
            .db
            .query_one_raw(feed_head_statement(backend, bearer))
            .await
            .map_err(to_domain)?;
        let Some(found) = found else {
            return Ok(None);
        };
        let head = position(found.try_get_by_index(0).map_err(to_domain)?)?;
        let after_position = |index: usize| -> Result<bool> {
            let latest: Option<i64> = found.try_get_by_index(index).map_err(to_domain)?;
            Ok(latest.is_some_and(|latest| latest > stored(query.since)))
        };
        let mut entries = Vec::new();
        if query.since < head {
            let [tasks, labels, tombstones] = feed_statements(backend, bearer, query, head);
            for found in self.db.query_all_raw(tasks).await.map_err(to_domain)? {
                entries.push(feed_entry(&found, bearer).map_err(to_domain)?);
            }
            if after_position(1)? {
                for found in self.db.query_all_raw(labels).await.map_err(to_domain)? {
                    let model = labels::Model::from_query_result(&found, "").map_err(to_domain)?;
                    let seq = position(model.change_seq)?;
                    entries.push((seq, FeedEntry::Label(to_label(model)?)));
                }
            }
            if !query.snapshot && after_position(2)? {
                for found in self.db.query_all_raw(tombstones).await.map_err(to_domain)? {
                    entries.push(tombstone(&found)?);
                }
            }
        }
        Ok(Some(FeedPage::assemble(entries, query.limit, head)))
    }

    async fn activity(&self, bearer: &Bearer, query: ActivityQuery) -> Result<Vec<Change>> {
        let mut select = changes::Entity::find()
            .filter(changes::Column::UserId.eq(bearer.user_id.as_uuid()))
            .filter(live(bearer));
        if let Some(before) = query.before {
            select = select.filter(changes::Column::Seq.lt(stored(before)));
        }
        select
            .order_by(changes::Column::Seq, Order::Desc)
            .limit(u64::from(query.limit))
            .all(&self.db)
            .await
            .map_err(to_domain)?
            .into_iter()
            .map(to_change)
            .collect()
    }

    async fn forget_before(&self, before: DateTime<Utc>) -> Result<u64> {
        let latest = Expr::cust(
            "(SELECT MAX(latest.seq) FROM changes AS latest WHERE latest.user_id = changes.user_id)",
        );
        let forgotten = changes::Entity::delete_many()
            .filter(changes::Column::At.lt(before))
            .filter(Expr::col(changes::Column::Seq).lt(latest))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(forgotten.rows_affected)
    }
}
