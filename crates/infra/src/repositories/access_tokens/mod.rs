//! Personal access tokens in the `personal_access_tokens` table, found by
//! the SHA-256 of their secret. A token counts only while its user is
//! active at the token version it was made under, so a password change or
//! reset revokes every token with no write here. [`cache`] remembers
//! what `find` answered.

pub mod cache;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use taskpulse_domain::access_token::{
    AccessToken, AccessTokenId, AccessTokenStore, NewAccessToken, Scopes, StoredAccessToken,
    TokenName,
};
use taskpulse_domain::error::TokenRejection;
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Bearer, Error, Result};

use super::live::lock_owner;
use crate::db::{Database, Transaction, to_domain};
use crate::entities::personal_access_tokens::{ActiveModel, Column, Entity, Model};
use crate::entities::users;

/// [`AccessTokenStore`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaAccessTokenStore {
    db: Database,
}

impl SeaAccessTokenStore {
    /// A store on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The token's user is active at the token's version (correlated with the
/// token's row).
fn current_version() -> SimpleExpr {
    let mut user = Query::select();
    user.expr(Expr::val(1))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).equals((Entity, Column::UserId)))
        .and_where(Expr::col((users::Entity, users::Column::IsActive)).eq(true))
        .and_where(
            Expr::col((users::Entity, users::Column::TokenVersion))
                .equals((Entity, Column::TokenVersion)),
        );
    Expr::exists(user)
}

/// The live tokens of `user` at `now`: not revoked, not expired, made at
/// the user's current token version.
fn live_of(user: UserId, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Column::UserId.eq(user.as_uuid()))
        .add(Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(now)),
        )
        .add(current_version())
}

fn scopes_of(model: &Model) -> Result<Scopes> {
    Scopes::from_names(&model.scopes).map_err(Error::internal)
}

fn to_token(model: Model) -> Result<AccessToken> {
    Ok(AccessToken {
        id: AccessTokenId::from(model.id),
        name: TokenName::parse(&model.name).map_err(Error::internal)?,
        scopes: scopes_of(&model)?,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        expires_at: model.expires_at,
    })
}

/// [`AccessTokenStore::create`] inside `txn`, holding the owner's lock.
async fn create_in(
    txn: &Transaction,
    token: &NewAccessToken,
    max_live: usize,
    now: DateTime<Utc>,
) -> Result<()> {
    let owner = Bearer {
        user_id: token.user_id,
        credential: None,
        token_version: token.token_version,
    };
    if !lock_owner(txn, &owner).await? {
        // The password changed since it was checked.
        return Err(Error::Unauthorized(TokenRejection::Revoked));
    }
    let live = Entity::find()
        .filter(live_of(token.user_id, now))
        .count(txn)
        .await
        .map_err(to_domain)?;
    if usize::try_from(live).unwrap_or(usize::MAX) >= max_live {
        return Err(Error::TooManyAccessTokens);
    }
    let row = ActiveModel {
        id: Set(token.token.id.as_uuid()),
        user_id: Set(token.user_id.as_uuid()),
        name: Set(token.token.name.as_str().to_owned()),
        scopes: Set(token.token.scopes.to_names()),
        token_hash: Set(token.hash.as_str().to_owned()),
        token_version: Set(token.token_version),
        created_at: Set(token.token.created_at),
        last_used_at: Set(None),
        expires_at: Set(token.token.expires_at),
        revoked_at: Set(None),
    };
    Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

#[async_trait]
impl AccessTokenStore for SeaAccessTokenStore {
    async fn create(
        &self,
        token: &NewAccessToken,
        max_live: usize,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let created = create_in(&txn, token, max_live, now).await;
        txn.finish(created).await
    }

    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<AccessToken>> {
        Entity::find()
            .filter(live_of(user, now))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .all(&self.db)
            .await
            .map_err(to_domain)?
            .into_iter()
            .map(to_token)
            .collect()
    }

    async fn revoke(&self, user: UserId, id: AccessTokenId, now: DateTime<Utc>) -> Result<bool> {
        let revoked = Entity::update_many()
            .col_expr(Column::RevokedAt, Some(now).into())
            .filter(live_of(user, now))
            .filter(Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(revoked.rows_affected > 0)
    }

    async fn find(&self, hash: &TokenHash) -> Result<Option<StoredAccessToken>> {
        let found = Entity::find()
            .filter(Column::TokenHash.eq(hash.as_str()))
            .filter(Column::RevokedAt.is_null())
            .filter(current_version())
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        found
            .map(|model| {
                Ok(StoredAccessToken {
                    id: AccessTokenId::from(model.id),
                    user_id: UserId::from(model.user_id),
                    scopes: scopes_of(&model)?,
                    token_version: model.token_version,
                    expires_at: model.expires_at,
                    last_used_at: model.last_used_at,
                })
            })
            .transpose()
    }

    async fn touch(
        &self,
        id: AccessTokenId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Some(now).into())
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(
                Condition::any()
                    .add(Column::LastUsedAt.is_null())
                    .add(Column::LastUsedAt.lte(since)),
            )
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }
}
