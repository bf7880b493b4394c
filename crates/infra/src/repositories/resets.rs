//! Password-reset tokens in the `password_reset_tokens` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use taskpulse_domain::Result;
use taskpulse_domain::reset::PasswordResetStore;
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::user::UserId;

use crate::db::{Database, to_domain};
use crate::entities::password_reset_tokens::{ActiveModel, Column, Entity};

/// [`PasswordResetStore`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaPasswordResetStore {
    db: Database,
}

impl SeaPasswordResetStore {
    /// A store on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PasswordResetStore for SeaPasswordResetStore {
    async fn create(
        &self,
        hash: &TokenHash,
        user: UserId,
        token_version: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let row = ActiveModel {
            hash: Set(hash.as_str().to_owned()),
            user_id: Set(user.as_uuid()),
            token_version: Set(token_version),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        };
        Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }

    async fn consume(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<(UserId, i64)>> {
        // The conditional update is the single use: a second use matches no row.
        let rows = Entity::update_many()
            .col_expr(Column::UsedAt, Some(now).into())
            .filter(Column::Hash.eq(hash.as_str()))
            .filter(Column::UsedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .exec_with_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(rows
            .into_iter()
            .next()
            .map(|row| (UserId::from(row.user_id), row.token_version)))
    }
}
