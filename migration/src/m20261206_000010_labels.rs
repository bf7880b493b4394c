//! Labels: `labels` (unique per owner by `name_key`, the lower-cased name
//! the domain matches by), `task_labels` (which task carries which label;
//! both sides cascade), and `tasks.labels`, the names a task carries in
//! their stored spelling, each between line breaks (`\nHome\nWork\n`, empty
//! for none): a task is read without a join, and a label's rename or
//! deletion rewrites its tasks with one `REPLACE` (a name holds no control
//! characters).

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};
use crate::m20261122_000001_create_users::Users;
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Labels {
    Table,
    Id,
    UserId,
    Name,
    NameKey,
    Color,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TaskLabels {
    Table,
    TaskId,
    LabelId,
}

#[derive(DeriveIden)]
enum Carried {
    Labels,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Labels::Table)
                    .col(big_pk_auto(Labels::Id))
                    .col(uuid(Labels::UserId))
                    .col(string_len(Labels::Name, 50))
                    .col(text(Labels::NameKey))
                    .col(string_len_null(Labels::Color, 7))
                    .col(timestamp_with_time_zone(Labels::CreatedAt))
                    .col(timestamp_with_time_zone(Labels::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_labels_user_id")
                            .from(Labels::Table, Labels::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_labels_user_name_key")
                    .table(Labels::Table)
                    .col(Labels::UserId)
                    .col(Labels::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskLabels::Table)
                    .col(big_integer(TaskLabels::TaskId))
                    .col(big_integer(TaskLabels::LabelId))
                    .primary_key(
                        Index::create()
                            .col(TaskLabels::TaskId)
                            .col(TaskLabels::LabelId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_labels_task_id")
                            .from(TaskLabels::Table, TaskLabels::TaskId)
                            .to(Tasks::Table, Tasks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_labels_label_id")
                            .from(TaskLabels::Table, TaskLabels::LabelId)
                            .to(Labels::Table, Labels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_labels_label_task")
                    .table(TaskLabels::Table)
                    .col(TaskLabels::LabelId)
                    .col(TaskLabels::TaskId)
                    .to_owned(),
            )
            .await?;
        add_columns(
            manager,
            Tasks::Table,
            [text(Carried::Labels).default("").to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, Tasks::Table, [Carried::Labels]).await?;
        for table in [TaskLabels::Table.into_iden(), Labels::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
