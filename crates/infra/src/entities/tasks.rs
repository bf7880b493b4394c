//! The `tasks` table, its fields in the table's column order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub priority: i16,
    pub completed_at: Option<DateTimeUtc>,
    pub due_date: Option<Date>,
    pub due_at: Option<DateTimeUtc>,
    pub time_zone: String,
    pub due_key: Option<DateTimeUtc>,
    pub parent_id: Option<i64>,
    pub position: i64,
    pub labels: String,
    pub due_deadline: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub trashed_with: Option<i64>,
    pub change_seq: i64,
    pub changed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
