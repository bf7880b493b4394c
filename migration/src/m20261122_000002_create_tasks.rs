//! The `tasks` table, owned by users (deleted with them), indexed for the
//! owner-scoped listing.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::owner_index;
use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(big_pk_auto(Tasks::Id))
                    .col(uuid(Tasks::UserId))
                    .col(string_len(Tasks::Title, 200))
                    .col(text_null(Tasks::Description))
                    .col(boolean(Tasks::Completed).default(false))
                    .col(big_integer(Tasks::Version).default(1))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_user_id")
                            .from(Tasks::Table, Tasks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, second) in [
            ("idx_tasks_user_created", Tasks::CreatedAt),
            ("idx_tasks_user_completed", Tasks::Completed),
        ] {
            manager.create_index(owner_index(name, second)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Tasks {
    Table,
    Id,
    UserId,
    Title,
    Description,
    Completed,
    Version,
    CreatedAt,
    UpdatedAt,
}
