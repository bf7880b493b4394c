//! TOTP secrets are stored sealed (issue #25): `totp_factors.secret`
//! widens from 64 to 255 characters to hold a sealed value. SQLite does not
//! enforce the length, so only PostgreSQL changes. The server seals the
//! secrets stored before this at its next start.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// `totp_factors.secret` as `varchar(length)`.
async fn secret_length(manager: &SchemaManager<'_>, length: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .alter_table(
            Table::alter()
                .table(TotpFactors::Table)
                .modify_column(ColumnDef::new(TotpFactors::Secret).string_len(length))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        secret_length(manager, 255).await
    }

    /// Keeps the column wide: sealed values do not fit the old width, and
    /// a wider column changes nothing for the schema before.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    Secret,
}
