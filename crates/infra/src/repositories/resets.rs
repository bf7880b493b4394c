//! Password-reset tokens in the `password_reset_tokens` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait,
};
use taskpulse_domain::Result;
use taskpulse_domain::reset::PasswordResetStore;
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::user::{PasswordHash, UserId};

use super::users::set_password;
use crate::db::{Database, Transaction, to_domain};
use crate::entities::password_reset_tokens::{ActiveModel, Column, Entity};
use crate::entities::users;

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

    async fn find(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<(UserId, i64)>> {
        let row = Entity::find_by_id(hash.as_str())
            .filter(Column::UsedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(row.map(|row| (UserId::from(row.user_id), row.token_version)))
    }

    async fn redeem(
        &self,
        hash: &TokenHash,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let redeemed = redeem_in(&txn, hash, &password_hash, now).await;
        if matches!(redeemed, Ok(true)) {
            txn.commit().await.map_err(to_domain)?;
        } else {
            // Nothing of a refused or failed redemption may stay; a failed
            // rollback ends with the connection, which rolls back too.
            let _ = txn.rollback().await;
        }
        redeemed
    }
}

/// [`PasswordResetStore::redeem`]'s statements, on a transaction.
async fn redeem_in(
    txn: &Transaction,
    hash: &TokenHash,
    password_hash: &PasswordHash,
    now: DateTime<Utc>,
) -> Result<bool> {
    // The conditional update is the single use: a second use matches no row.
    let used = Entity::update_many()
        .col_expr(Column::UsedAt, Some(now).into())
        .filter(Column::Hash.eq(hash.as_str()))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec_with_returning(txn)
        .await
        .map_err(to_domain)?;
    let Some(token) = used.into_iter().next() else {
        return Ok(false);
    };
    let user = UserId::from(token.user_id);
    if !set_password(txn, user, password_hash, token.token_version, now).await? {
        return Ok(false);
    }
    // The link reached the address: it is verified too.
    let verified = users::Entity::update_many()
        .col_expr(users::Column::EmailVerified, true.into())
        .filter(users::Column::Id.eq(user.as_uuid()));
    txn.execute(&verified.into_query())
        .await
        .map_err(to_domain)?;
    Ok(true)
}
