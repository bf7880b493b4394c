//! The `rate_limits` table: each key's GCRA arrival time (ms since the
//! epoch).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_limits")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub tat: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
