//! Personal access tokens (issue #24): `personal_access_tokens`, each the
//! SHA-256 of a token's secret (unique), its owner, name and scopes, and
//! the owner's token version when it was made: a token works only while
//! the account's token version is still that one, so a password change or
//! reset revokes it with the sessions. Revoked tokens keep their row
//! (`revoked_at`); deleting the account deletes them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonalAccessTokens::Table)
                    .col(pk_uuid(PersonalAccessTokens::Id))
                    .col(uuid(PersonalAccessTokens::UserId))
                    .col(string_len(PersonalAccessTokens::Name, 100))
                    .col(string_len(PersonalAccessTokens::Scopes, 255))
                    .col(string_len(PersonalAccessTokens::TokenHash, 64))
                    .col(big_integer(PersonalAccessTokens::TokenVersion))
                    .col(timestamp_with_time_zone(PersonalAccessTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        PersonalAccessTokens::LastUsedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PersonalAccessTokens::ExpiresAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PersonalAccessTokens::RevokedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_personal_access_tokens_user_id")
                            .from(PersonalAccessTokens::Table, PersonalAccessTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_personal_access_tokens_token_hash")
                    .table(PersonalAccessTokens::Table)
                    .col(PersonalAccessTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_personal_access_tokens_user_id")
                    .table(PersonalAccessTokens::Table)
                    .col(PersonalAccessTokens::UserId)
                    .col(PersonalAccessTokens::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonalAccessTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersonalAccessTokens {
    Table,
    Id,
    UserId,
    Name,
    Scopes,
    TokenHash,
    TokenVersion,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}
