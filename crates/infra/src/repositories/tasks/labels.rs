//! The labels of a task write, found or made by name inside its
//! transaction (after `lock_owner`), and the listing's label filter.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use taskpulse_domain::label::{LabelName, MAX_LABELS_PER_USER, TaskLabels};
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Bearer, Error, Result};

use crate::db::to_domain;
use crate::entities::{labels, task_labels, tasks};
use crate::repositories::live::author;

/// The owner's labels of `wanted`, in its order, as `(id, stored name)`;
/// the names the owner has no label of get one (no color) if all of them
/// fit under [`MAX_LABELS_PER_USER`].
pub(super) async fn find_or_make(
    txn: &impl ConnectionTrait,
    bearer: &Bearer,
    wanted: &TaskLabels,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, String)>> {
    if wanted.names().is_empty() {
        return Ok(Vec::new());
    }
    let owner = bearer.user_id;
    let keys: Vec<String> = wanted.names().iter().map(LabelName::key).collect();
    let mut found: HashMap<String, (i64, String)> = labels::Entity::find()
        .select_only()
        .columns([
            labels::Column::NameKey,
            labels::Column::Id,
            labels::Column::Name,
        ])
        .filter(labels::Column::UserId.eq(owner.as_uuid()))
        .filter(labels::Column::NameKey.is_in(keys.clone()))
        .into_tuple::<(String, i64, String)>()
        .all(txn)
        .await
        .map_err(to_domain)?
        .into_iter()
        .map(|(key, id, name)| (key, (id, name)))
        .collect();
    let missing: Vec<&LabelName> = wanted
        .names()
        .iter()
        .zip(&keys)
        .filter(|(_, key)| !found.contains_key(*key))
        .map(|(name, _)| name)
        .collect();
    if !missing.is_empty() {
        let count = labels::Entity::find()
            .filter(labels::Column::UserId.eq(owner.as_uuid()))
            .count(txn)
            .await
            .map_err(to_domain)?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count.saturating_add(missing.len()) > MAX_LABELS_PER_USER {
            return Err(Error::TooManyLabels { field: "labels" });
        }
        for name in missing {
            let id = make(txn, bearer, name, now).await?;
            found.insert(name.key(), (id, name.as_str().to_owned()));
        }
    }
    keys.iter()
        .map(|key| {
            found
                .get(key)
                .cloned()
                .ok_or_else(|| Error::internal("a label neither found nor made"))
        })
        .collect()
}

/// Stores a new label without a color: its id.
async fn make(
    txn: &impl ConnectionTrait,
    bearer: &Bearer,
    name: &LabelName,
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut insert = Query::insert();
    insert
        .into_table(labels::Entity)
        .columns([
            labels::Column::UserId,
            labels::Column::Name,
            labels::Column::NameKey,
            labels::Column::CreatedAt,
            labels::Column::UpdatedAt,
            labels::Column::ChangedBy,
        ])
        .values_panic([
            bearer.user_id.as_uuid().into(),
            name.as_str().into(),
            name.key().into(),
            now.into(),
            now.into(),
            author(bearer).into(),
        ])
        .returning_col(labels::Column::Id);
    let row = txn
        .query_one(&insert)
        .await
        .map_err(to_domain)?
        .ok_or_else(|| Error::internal("an insert returned no id"))?;
    row.try_get_by_index(0).map_err(to_domain)
}

/// Makes task `task` carry exactly the labels `ids`.
pub(super) async fn attach(txn: &impl ConnectionTrait, task: i64, ids: &[i64]) -> Result<()> {
    task_labels::Entity::delete_many()
        .filter(task_labels::Column::TaskId.eq(task))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    if ids.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(task_labels::Entity)
        .columns([task_labels::Column::TaskId, task_labels::Column::LabelId]);
    for id in ids {
        insert.values_panic([task.into(), (*id).into()]);
    }
    txn.execute(&insert).await.map_err(to_domain)?;
    Ok(())
}

/// The task carries the owner's label `name`: the SQL form of the label
/// filter of [`TaskQuery::matches`](taskpulse_domain::task::TaskQuery::matches).
pub(super) fn carries(owner: UserId, name: &LabelName) -> SimpleExpr {
    let mut carried = Query::select();
    carried
        .expr(Expr::val(1))
        .from(task_labels::Entity)
        .inner_join(
            labels::Entity,
            Expr::col((labels::Entity, labels::Column::Id))
                .equals((task_labels::Entity, task_labels::Column::LabelId)),
        )
        .and_where(
            Expr::col((task_labels::Entity, task_labels::Column::TaskId))
                .equals((tasks::Entity, tasks::Column::Id)),
        )
        .and_where(Expr::col((labels::Entity, labels::Column::UserId)).eq(owner.as_uuid()))
        .and_where(Expr::col((labels::Entity, labels::Column::NameKey)).eq(name.key()));
    Expr::exists(carried)
}
