//! Second factors (issue #25): `totp_factors` (one per user: the shared
//! secret, pending until `enabled_at`, and the last time step used),
//! `recovery_codes` (hashes only) and `mfa_challenges` (hashes of the
//! sign-in challenges between password and code).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// A cascading foreign key from `table.user_id` to `users.id`.
fn owner_key(name: &str, table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TotpFactors::Table)
                    .col(uuid(TotpFactors::UserId).primary_key())
                    .col(string_len(TotpFactors::Secret, 64))
                    .col(timestamp_with_time_zone(TotpFactors::CreatedAt))
                    .col(timestamp_with_time_zone_null(TotpFactors::EnabledAt))
                    .col(big_integer_null(TotpFactors::LastStep))
                    .foreign_key(&mut owner_key(
                        "fk_totp_factors_user_id",
                        TotpFactors::Table,
                        TotpFactors::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(uuid(RecoveryCodes::UserId))
                    .col(string_len(RecoveryCodes::Hash, 64))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .primary_key(
                        Index::create()
                            .col(RecoveryCodes::UserId)
                            .col(RecoveryCodes::Hash),
                    )
                    .foreign_key(&mut owner_key(
                        "fk_recovery_codes_user_id",
                        RecoveryCodes::Table,
                        RecoveryCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaChallenges::Table)
                    .col(string_len(MfaChallenges::Hash, 64).primary_key())
                    .col(uuid(MfaChallenges::UserId))
                    .col(big_integer(MfaChallenges::TokenVersion))
                    .col(timestamp_with_time_zone(MfaChallenges::ExpiresAt))
                    .foreign_key(&mut owner_key(
                        "fk_mfa_challenges_user_id",
                        MfaChallenges::Table,
                        MfaChallenges::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_challenges_expires_at")
                    .table(MfaChallenges::Table)
                    .col(MfaChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MfaChallenges::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            TotpFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    UserId,
    Secret,
    CreatedAt,
    EnabledAt,
    LastStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    UserId,
    Hash,
    UsedAt,
}

#[derive(DeriveIden)]
enum MfaChallenges {
    Table,
    Hash,
    UserId,
    TokenVersion,
    ExpiresAt,
}
