//! Lets PostgreSQL update a task in place (a HOT update), so that the most
//! frequent write, completing a task, adds no index entries and its old
//! versions are cleared by the next reads of the page instead of waiting
//! for vacuum:
//! - no index holds `completed` (an indexed column that changes rules HOT
//!   out); a filter on it reads the owner's tasks through
//!   `idx_tasks_user_created`, as the unfiltered listing does;
//! - new pages of `tasks` keep a fifth of their room for the new versions
//!   of their rows (`fillfactor`; PostgreSQL only).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::owner_index;
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_tasks_user_completed";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Tasks::Table).to_owned())
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE tasks SET (fillfactor = 80)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE tasks RESET (fillfactor)")
                .await?;
        }
        manager
            .create_index(owner_index(INDEX, Tasks::Completed))
            .await
    }
}
