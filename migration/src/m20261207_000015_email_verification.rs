//! Verified email (issue #25): `users.email_verified` (false for every
//! account until a link sent to its address is followed, accounts from
//! before included), and `email_verifications`: the links, as hashes, each
//! for one address of one account (its own, or one it is changing to), and
//! good only while the account's token version is the one they were issued
//! under.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};
use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Users::Table,
            [boolean(Alias::new(EMAIL_VERIFIED))
                .default(false)
                .to_owned()],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailVerifications::Table)
                    .col(string_len(EmailVerifications::Hash, 64).primary_key())
                    .col(uuid(EmailVerifications::UserId))
                    .col(string_len(EmailVerifications::Email, 254))
                    .col(big_integer(EmailVerifications::TokenVersion))
                    .col(timestamp_with_time_zone(EmailVerifications::CreatedAt))
                    .col(timestamp_with_time_zone(EmailVerifications::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_verifications_user_id")
                            .from(EmailVerifications::Table, EmailVerifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_email_verifications_user_id")
                    .table(EmailVerifications::Table)
                    .col(EmailVerifications::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailVerifications::Table).to_owned())
            .await?;
        drop_columns(manager, Users::Table, [Alias::new(EMAIL_VERIFIED)]).await
    }
}

/// The new column of `users`.
const EMAIL_VERIFIED: &str = "email_verified";

#[derive(DeriveIden)]
enum EmailVerifications {
    Table,
    Hash,
    UserId,
    Email,
    TokenVersion,
    CreatedAt,
    ExpiresAt,
}
