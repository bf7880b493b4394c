//! When a task is due: `due_date` (all day) or `due_at` (an instant), at
//! most one of them; the IANA `time_zone` its date is read in (`UTC` by
//! default); and `due_key`, the instant it sorts by (the date's midnight
//! in UTC, or `due_at`), indexed with its owner for `sort=due` and the
//! `due_before`/`due_after` filters. Existing tasks are not due.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns, owner_index};
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_tasks_user_due";

#[derive(DeriveIden)]
enum Schedule {
    DueDate,
    DueAt,
    TimeZone,
    DueKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Tasks::Table,
            [
                date_null(Schedule::DueDate).to_owned(),
                timestamp_with_time_zone_null(Schedule::DueAt).to_owned(),
                string_len(Schedule::TimeZone, 64).default("UTC").to_owned(),
                timestamp_with_time_zone_null(Schedule::DueKey).to_owned(),
            ],
        )
        .await?;
        manager
            .create_index(owner_index(INDEX, Schedule::DueKey))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Tasks::Table).to_owned())
            .await?;
        drop_columns(
            manager,
            Tasks::Table,
            [
                Schedule::DueKey,
                Schedule::TimeZone,
                Schedule::DueAt,
                Schedule::DueDate,
            ],
        )
        .await
    }
}
