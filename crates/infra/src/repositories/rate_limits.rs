//! Rate-limit state in the `rate_limits` table: one row per key, taken by
//! one upsert (the generic cell rate algorithm in SQL), so that every
//! replica shares it. A refused hit writes nothing.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use taskpulse_domain::rate_limit::RateLimitStore;
use taskpulse_domain::{Error, Result};

use crate::db::{Database, to_domain};
use crate::entities::rate_limits::{Column, Entity};

/// [`RateLimitStore`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaRateLimitStore {
    db: Database,
}

impl SeaRateLimitStore {
    /// A store on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RateLimitStore for SeaRateLimitStore {
    async fn take(&self, key: &str, now: i64, interval: i64, window: i64) -> Result<(bool, i64)> {
        // One statement under the row's lock; a refused hit matches the
        // `DO UPDATE … WHERE` to nothing, so it writes nothing and returns
        // no row.
        let stored = Expr::col((Entity, Column::Tat));
        let from = Expr::case(stored.clone().gt(now), stored).finally(now);
        let fits = from.clone().add(interval).sub(now).lte(window);
        let mut upsert = Query::insert();
        upsert
            .into_table(Entity)
            .columns([Column::Key, Column::Tat])
            .values([key.into(), (now + interval).into()])
            .map_err(Error::internal)?
            .on_conflict(
                OnConflict::column(Column::Key)
                    .value(Column::Tat, from.add(interval))
                    .action_and_where(fits)
                    .to_owned(),
            )
            .returning_col(Column::Tat);
        let backend = self.db.get_database_backend();
        let admitted = self
            .db
            .query_one_raw(backend.build(&upsert))
            .await
            .map_err(to_domain)?;
        if let Some(row) = admitted {
            return Ok((true, row.try_get::<i64>("", "tat").map_err(to_domain)?));
        }
        let stored = Entity::find_by_id(key)
            .one(&self.db)
            .await
            .map_err(to_domain)?
            .ok_or_else(|| Error::internal("a refused key has no row"))?;
        Ok((false, stored.tat))
    }

    async fn purge(&self, cutoff: i64) -> Result<u64> {
        let result = Entity::delete_many()
            .filter(Column::Tat.lt(cutoff))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(result.rows_affected)
    }
}
