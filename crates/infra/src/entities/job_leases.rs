//! The `job_leases` table: each job's lease, held until `held_until`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_leases")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job: String,
    pub held_until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
