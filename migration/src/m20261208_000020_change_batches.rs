//! The change log recorded set-based on PostgreSQL (issue #22): a row
//! trigger only numbers the row, and one statement trigger per statement
//! appends the statement's changes from its transition tables
//! (`sql/change_batches.postgres.sql`), instead of one function call and
//! one insert per row; a 100-row insert had spent twice its time in the
//! log. SQLite keeps migration 19's row triggers (it has no statement
//! triggers), so this migration changes nothing there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Migration 19's triggers and functions, which this one replaces.
const ROW_TRIGGERS: &str = "
DROP TRIGGER tasks_created ON tasks;
DROP TRIGGER tasks_changed ON tasks;
DROP TRIGGER tasks_purged ON tasks;
DROP TRIGGER labels_created ON labels;
DROP TRIGGER labels_changed ON labels;
DROP TRIGGER labels_deleted ON labels;
DROP FUNCTION record_task_change;
DROP FUNCTION record_task_purge;
DROP FUNCTION record_label_change;
DROP FUNCTION record_label_deletion;
DROP FUNCTION record_change;
";

/// This migration's triggers and functions.
const STATEMENT_TRIGGERS: &str = "
DROP TRIGGER tasks_numbered_on_insert ON tasks;
DROP TRIGGER tasks_numbered_on_update ON tasks;
DROP TRIGGER tasks_created ON tasks;
DROP TRIGGER tasks_changed ON tasks;
DROP TRIGGER tasks_purged ON tasks;
DROP TRIGGER labels_numbered_on_insert ON labels;
DROP TRIGGER labels_numbered_on_update ON labels;
DROP TRIGGER labels_created ON labels;
DROP TRIGGER labels_changed ON labels;
DROP TRIGGER labels_deleted ON labels;
DROP FUNCTION record_creations;
DROP FUNCTION record_task_updates;
DROP FUNCTION record_label_updates;
DROP FUNCTION record_erasures;
DROP FUNCTION number_change;
DROP FUNCTION take_change_seqs;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(ROW_TRIGGERS).await?;
        db.execute_unprepared(include_str!("sql/change_batches.postgres.sql"))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(STATEMENT_TRIGGERS).await?;
        db.execute_unprepared(include_str!("sql/change_log.postgres.sql"))
            .await?;
        Ok(())
    }
}
