//! A task's priority (0–4, 0 by default), indexed with its owner for the
//! listing's `sort=priority` and `priority_min`, and the time it was
//! completed. Tasks completed before this migration get their last change
//! as their completion time, the closest the table knows. `completed_at`
//! has no index, so that completing a task stays a HOT update (see
//! `m20261122_000006_tasks_hot_updates`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns, owner_index};
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_tasks_user_priority";

#[derive(DeriveIden)]
enum Planning {
    Priority,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Tasks::Table,
            [
                small_integer(Planning::Priority).default(0).to_owned(),
                timestamp_with_time_zone_null(Planning::CompletedAt).to_owned(),
            ],
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Tasks::Table)
                    .value(Planning::CompletedAt, Expr::col(Tasks::UpdatedAt))
                    .and_where(Expr::col(Tasks::Completed).eq(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(owner_index(INDEX, Planning::Priority))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Tasks::Table).to_owned())
            .await?;
        drop_columns(
            manager,
            Tasks::Table,
            [Planning::CompletedAt, Planning::Priority],
        )
        .await
    }
}
