//! The trash (issue #22): a deleted task stays in `tasks` with
//! `deleted_at` set, and `trashed_with` naming the task whose deletion took
//! it (itself, when deleted on its own), so that a restore brings back what
//! went together. A partial index lists an owner's trash newest first;
//! live tasks' indexes are unchanged.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const BY_DELETION: &str = "idx_tasks_user_trash";

#[derive(DeriveIden)]
enum Trash {
    DeletedAt,
    TrashedWith,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Tasks::Table,
            [
                timestamp_with_time_zone_null(Trash::DeletedAt),
                big_integer_null(Trash::TrashedWith),
            ],
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {BY_DELETION} ON tasks (user_id, deleted_at, id) \
                 WHERE deleted_at IS NOT NULL"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(BY_DELETION)
                    .table(Tasks::Table)
                    .to_owned(),
            )
            .await?;
        drop_columns(
            manager,
            Tasks::Table,
            [Trash::TrashedWith, Trash::DeletedAt],
        )
        .await
    }
}
