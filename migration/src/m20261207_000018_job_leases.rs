//! `job_leases`: which server does a job that runs on every replica
//! (the trash purge, issue #22), and until when.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .col(string_len(JobLeases::Job, 100).primary_key())
                    .col(timestamp_with_time_zone(JobLeases::HeldUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobLeases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Job,
    HeldUntil,
}
