//! The trash (issue #22): a deleted task stays in `tasks` with
//! `deleted_at` set, and `trashed_with` naming the task whose deletion took
//! it (itself, when deleted on its own), so that a restore brings back what
//! went together. Partial indexes list an owner's trash newest first and
//! find what went with a task; the two sibling indexes in manual order are
//! replaced by ones for live tasks only (`deleted_at IS NULL`, which every
//! statement on live tasks says), so that the last key and a parent's
//! children are read without stepping over deleted rows.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const BY_DELETION: &str = "idx_tasks_user_trash";
const BY_ROOT: &str = "idx_tasks_trashed_with";

/// The two sibling indexes in manual order: the name migration 9 gave the
/// one for every row, the name of the one for live rows only, and what
/// both index.
const SIBLING_INDEXES: [(&str, &str, &str); 2] = [
    (
        "idx_tasks_user_position",
        "idx_tasks_user_position_live",
        "(user_id, position, id) WHERE parent_id IS NULL",
    ),
    (
        "idx_tasks_parent_position",
        "idx_tasks_parent_position_live",
        "(parent_id, position, id) WHERE parent_id IS NOT NULL",
    ),
];

#[derive(DeriveIden)]
enum Trash {
    DeletedAt,
    TrashedWith,
}

/// Makes each sibling index under its other name (for live rows only when
/// `live`), then drops the one it replaces: a name is never dropped and
/// made again, which SQLite's pooled connections could see half done.
async fn swap_sibling_indexes(manager: &SchemaManager<'_>, live: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (every, only_live, definition) in SIBLING_INDEXES {
        let (made, dropped, condition) = if live {
            (only_live, every, " AND deleted_at IS NULL")
        } else {
            (every, only_live, "")
        };
        db.execute_unprepared(&format!(
            "CREATE INDEX {made} ON tasks {definition}{condition}"
        ))
        .await?;
        db.execute_unprepared(&format!("DROP INDEX {dropped}"))
            .await?;
    }
    Ok(())
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
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX {BY_DELETION} ON tasks (user_id, deleted_at, id) \
             WHERE deleted_at IS NOT NULL"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX {BY_ROOT} ON tasks (user_id, trashed_with) \
             WHERE deleted_at IS NOT NULL"
        ))
        .await?;
        swap_sibling_indexes(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        swap_sibling_indexes(manager, false).await?;
        let db = manager.get_connection();
        for index in [BY_ROOT, BY_DELETION] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        drop_columns(
            manager,
            Tasks::Table,
            [Trash::TrashedWith, Trash::DeletedAt],
        )
        .await
    }
}
