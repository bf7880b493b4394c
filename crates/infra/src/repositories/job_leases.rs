//! Job leases in the `job_leases` table: one row per job, taken by one
//! upsert that writes only when the lease has ended, so that one replica
//! gets it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use taskpulse_domain::jobs::JobLeases;
use taskpulse_domain::{Error, Result};

use crate::db::{Database, to_domain};
use crate::entities::job_leases::{Column, Entity};

/// [`JobLeases`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaJobLeases {
    db: Database,
}

impl SeaJobLeases {
    /// Leases on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl JobLeases for SeaJobLeases {
    async fn acquire(&self, job: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        // Under the row's lock: a lease still held matches the `DO UPDATE
        // … WHERE` to nothing, so it writes nothing and returns no row.
        let ended = Expr::col((Entity, Column::HeldUntil)).lte(now);
        let mut upsert = Query::insert();
        upsert
            .into_table(Entity)
            .columns([Column::Job, Column::HeldUntil])
            .values([job.into(), until.into()])
            .map_err(Error::internal)?
            .on_conflict(
                OnConflict::column(Column::Job)
                    .value(Column::HeldUntil, until)
                    .action_and_where(ended)
                    .to_owned(),
            )
            .returning_col(Column::Job);
        let taken = self.db.query_one(&upsert).await.map_err(to_domain)?;
        Ok(taken.is_some())
    }
}
