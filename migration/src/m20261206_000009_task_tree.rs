//! Subtasks and manual order. `parent_id` names the task a task is a
//! subtask of; deleting a task deletes its subtasks (a foreign key with
//! `ON DELETE CASCADE`, which also refuses a parent deleted under a
//! concurrent write). `position` orders siblings: existing tasks, all at
//! top level, keep the order of their ids, `Position::GAP` (65 536) apart.
//!
//! Two partial indexes, one per kind of sibling list, each in manual order:
//! the owner's top-level tasks (`top_level=true&sort=position`, and the
//! last of them, which a new task goes after: without an index that
//! matches `parent_id IS NULL` exactly, a generic plan read every task of
//! the owner for it), and the subtasks of a task (`parent_id=…`, the
//! cascade, a new subtask's place).

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const BY_POSITION: &str = "idx_tasks_user_position";
const BY_PARENT: &str = "idx_tasks_parent_position";

#[derive(DeriveIden)]
enum Tree {
    ParentId,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // SQLite adds a column with a foreign key only as plain SQL, which
        // both databases read alike.
        db.execute_unprepared(
            "ALTER TABLE tasks ADD COLUMN parent_id BIGINT NULL \
             REFERENCES tasks (id) ON DELETE CASCADE",
        )
        .await?;
        add_columns(
            manager,
            Tasks::Table,
            [big_integer(Tree::Position).default(0).to_owned()],
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Tasks::Table)
                    .value(Tree::Position, Expr::col(Tasks::Id).mul(65_536))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX {BY_POSITION} ON tasks (user_id, position, id) \
             WHERE parent_id IS NULL"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX {BY_PARENT} ON tasks (parent_id, position, id) \
             WHERE parent_id IS NOT NULL"
        ))
        .await
        .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in [BY_PARENT, BY_POSITION] {
            manager
                .drop_index(Index::drop().name(index).table(Tasks::Table).to_owned())
                .await?;
        }
        drop_columns(manager, Tasks::Table, [Tree::Position, Tree::ParentId]).await
    }
}
