//! Labels in the `labels` table. Reads carry the check that the bearer is
//! live; writes run in a transaction that holds the owner's lock (see
//! `lock_owner`), as task writes that name labels do, so that a rename
//! and a task write cannot cross.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use taskpulse_domain::label::{
    Color, Label, LabelChanges, LabelId, LabelName, MAX_LABELS_PER_USER, NewLabel,
};
use taskpulse_domain::ports::LabelRepository;
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Bearer, Error, Result};

use super::live::{author, live, lock_owner};
use crate::db::{Database, Transaction, is_unique_violation, to_domain};
use crate::entities::labels::{self, Column, Entity};
use crate::entities::{task_labels, tasks};

/// [`LabelRepository`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaLabelRepository {
    db: Database,
}

impl SeaLabelRepository {
    /// A repository on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

pub(super) fn to_label(model: labels::Model) -> Result<Label> {
    Ok(Label {
        id: LabelId::new(model.id).map_err(Error::internal)?,
        owner: UserId::from(model.user_id),
        name: model.name,
        color: model
            .color
            .as_deref()
            .map(Color::parse)
            .transpose()
            .map_err(Error::internal)?,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// The bearer's label `id`, while the bearer is live.
fn owned(bearer: &Bearer, id: LabelId) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id.get()))
        .add(Column::UserId.eq(bearer.user_id.as_uuid()))
        .add(live(bearer))
}

/// A unique-constraint violation (another label has the name) as
/// `LabelTaken`.
fn unless_taken(err: sea_orm::DbErr) -> Error {
    if is_unique_violation(&err) {
        Error::LabelTaken
    } else {
        to_domain(err)
    }
}

/// `REPLACE(tasks.labels, '\n<old>\n', '\n<new>\n')` on every task of
/// `owner` that carries `label`, each of them one version more: the tasks'
/// side of a rename (`new` = the new name) or a deletion (`new` = none).
async fn rewrite_carriers(
    txn: &Transaction,
    bearer: &Bearer,
    label: LabelId,
    old: &str,
    new: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let replacement = match new {
        Some(new) => format!("\n{new}\n"),
        None => "\n".to_owned(),
    };
    let replaced = Func::cust("REPLACE").args([
        Expr::col(tasks::Column::Labels),
        Expr::val(format!("\n{old}\n")),
        Expr::val(replacement),
    ]);
    let mut carriers = sea_orm::sea_query::Query::select();
    carriers
        .column(task_labels::Column::TaskId)
        .from(task_labels::Entity)
        .and_where(task_labels::Column::LabelId.eq(label.get()));
    tasks::Entity::update_many()
        .col_expr(tasks::Column::Labels, replaced.into())
        .col_expr(
            tasks::Column::Version,
            Expr::col(tasks::Column::Version).add(1),
        )
        .col_expr(tasks::Column::UpdatedAt, now.into())
        .col_expr(tasks::Column::ChangedBy, Expr::val(author(bearer)))
        .filter(tasks::Column::UserId.eq(bearer.user_id.as_uuid()))
        .filter(tasks::Column::Id.in_subquery(carriers))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

/// Creates `label` inside `txn`, holding the owner's lock.
async fn create_locked(
    txn: &Transaction,
    bearer: &Bearer,
    label: NewLabel,
    now: DateTime<Utc>,
) -> Result<Option<Label>> {
    if !lock_owner(txn, bearer).await? {
        return Ok(None);
    }
    let owner = bearer.user_id.as_uuid();
    let count = Entity::find()
        .filter(Column::UserId.eq(owner))
        .count(txn)
        .await
        .map_err(to_domain)?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_LABELS_PER_USER {
        return Err(Error::TooManyLabels { field: "name" });
    }
    let model = labels::ActiveModel {
        id: ActiveValue::NotSet,
        user_id: ActiveValue::Set(owner),
        name: ActiveValue::Set(label.name.as_str().to_owned()),
        name_key: ActiveValue::Set(label.name.key()),
        color: ActiveValue::Set(label.color.map(|c| c.as_str().to_owned())),
        created_at: ActiveValue::Set(now),
        updated_at: ActiveValue::Set(now),
        change_seq: ActiveValue::NotSet,
        changed_by: ActiveValue::Set(author(bearer)),
    };
    let stored = model.insert(txn).await.map_err(unless_taken)?;
    to_label(stored).map(Some)
}

/// Applies `changes` to the bearer's label `id` inside `txn`, holding the
/// owner's lock.
async fn update_locked(
    txn: &Transaction,
    bearer: &Bearer,
    id: LabelId,
    changes: LabelChanges,
    now: DateTime<Utc>,
) -> Result<Label> {
    lock_owner(txn, bearer).await?;
    let label = Entity::find()
        .filter(owned(bearer, id))
        .one(txn)
        .await
        .map_err(to_domain)?
        .ok_or(Error::NotFound)?;
    let mut model: labels::ActiveModel = label.clone().into();
    if let Some(name) = &changes.name {
        model.name = ActiveValue::Set(name.as_str().to_owned());
        model.name_key = ActiveValue::Set(name.key());
    }
    if let Some(color) = changes.color {
        model.color = ActiveValue::Set(color.map(|c| c.as_str().to_owned()));
    }
    model.updated_at = ActiveValue::Set(now);
    model.changed_by = ActiveValue::Set(author(bearer));
    let stored = model.update(txn).await.map_err(unless_taken)?;
    if let Some(name) = changes.name.as_ref().map(LabelName::as_str)
        && name != label.name
    {
        rewrite_carriers(txn, bearer, id, &label.name, Some(name), now).await?;
    }
    to_label(stored)
}

/// Deletes the bearer's label `id` inside `txn`, holding the owner's lock.
async fn delete_locked(
    txn: &Transaction,
    bearer: &Bearer,
    id: LabelId,
    now: DateTime<Utc>,
) -> Result<()> {
    lock_owner(txn, bearer).await?;
    let label = Entity::find()
        .filter(owned(bearer, id))
        .one(txn)
        .await
        .map_err(to_domain)?
        .ok_or(Error::NotFound)?;
    rewrite_carriers(txn, bearer, id, &label.name, None, now).await?;
    // Stamped with who and when first, which the log's tombstone takes.
    Entity::update_many()
        .col_expr(Column::ChangedBy, Expr::val(author(bearer)))
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(label.id))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Entity::delete_by_id(label.id)
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

#[async_trait]
impl LabelRepository for SeaLabelRepository {
    async fn list(&self, bearer: &Bearer) -> Result<Vec<Label>> {
        Entity::find()
            .filter(Column::UserId.eq(bearer.user_id.as_uuid()))
            .filter(live(bearer))
            .order_by(Column::NameKey, Order::Asc)
            .order_by(Column::Id, Order::Asc)
            .all(&self.db)
            .await
            .map_err(to_domain)?
            .into_iter()
            .map(to_label)
            .collect()
    }

    async fn create(
        &self,
        bearer: &Bearer,
        label: NewLabel,
        now: DateTime<Utc>,
    ) -> Result<Option<Label>> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let created = create_locked(&txn, bearer, label, now).await;
        txn.finish(created).await
    }

    async fn get(&self, bearer: &Bearer, id: LabelId) -> Result<Option<Label>> {
        Entity::find()
            .filter(owned(bearer, id))
            .one(&self.db)
            .await
            .map_err(to_domain)?
            .map(to_label)
            .transpose()
    }

    async fn update(
        &self,
        bearer: &Bearer,
        id: LabelId,
        changes: LabelChanges,
        now: DateTime<Utc>,
    ) -> Result<Label> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let updated = update_locked(&txn, bearer, id, changes, now).await;
        txn.finish(updated).await
    }

    async fn delete(&self, bearer: &Bearer, id: LabelId, now: DateTime<Utc>) -> Result<()> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let deleted = delete_locked(&txn, bearer, id, now).await;
        txn.finish(deleted).await
    }
}
