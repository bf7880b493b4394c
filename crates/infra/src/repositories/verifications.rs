//! Email-verification links in the `email_verifications` table. Following
//! one is one transaction: the link is claimed by deleting it (so that of
//! concurrent uses exactly one finds it), the account takes its address,
//! verified, and the account's other links go.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::user::{Email, UserId};
use taskpulse_domain::verification::{EmailVerificationStore, VerifiedEmail};
use taskpulse_domain::{Error, Result};

use crate::db::{Database, Transaction, is_unique_violation, to_domain};
use crate::entities::email_verifications::{Column, Entity, Model};
use crate::entities::users;

/// [`EmailVerificationStore`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaEmailVerificationStore {
    db: Database,
}

impl SeaEmailVerificationStore {
    /// A store on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl EmailVerificationStore for SeaEmailVerificationStore {
    async fn issue(
        &self,
        hash: &TokenHash,
        user: UserId,
        email: &Email,
        token_version: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let link = Model {
            hash: hash.as_str().to_owned(),
            user_id: user.as_uuid(),
            email: email.as_str().to_owned(),
            token_version,
            created_at: now,
            expires_at,
        };
        let issued = issue_in(&txn, link).await;
        txn.finish(issued).await
    }

    async fn redeem(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<VerifiedEmail>> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        match redeem_in(&txn, hash, now).await {
            Ok(Some(verified)) => txn.finish(Ok(Some(verified))).await,
            refused => {
                // Nothing of a refused redemption may stay, the claim
                // included; a failed rollback ends with the connection,
                // which rolls back too.
                let _ = txn.rollback().await;
                refused
            }
        }
    }

    async fn purge(&self, now: DateTime<Utc>) -> Result<u64> {
        let purged = Entity::delete_many()
            .filter(Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(purged.rows_affected)
    }
}

/// [`EmailVerificationStore::issue`]'s statements, on a transaction: the
/// account's link for the same address goes, `link` comes.
async fn issue_in(txn: &Transaction, link: Model) -> Result<()> {
    Entity::delete_many()
        .filter(Column::UserId.eq(link.user_id))
        .filter(Column::Email.eq(link.email.as_str()))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Entity::insert(link.into_active_model())
        .exec_without_returning(txn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

/// [`EmailVerificationStore::redeem`]'s statements, on a transaction.
async fn redeem_in(
    txn: &Transaction,
    hash: &TokenHash,
    now: DateTime<Utc>,
) -> Result<Option<VerifiedEmail>> {
    let claimed = Entity::delete_many()
        .filter(Column::Hash.eq(hash.as_str()))
        .filter(Column::ExpiresAt.gt(now))
        .exec_with_returning(txn)
        .await
        .map_err(to_domain)?;
    let Some(link) = claimed.into_iter().next() else {
        return Ok(None);
    };
    let email = Email::parse(&link.email).map_err(Error::internal)?;
    let account = users::Entity::find_by_id(link.user_id)
        .one(txn)
        .await
        .map_err(to_domain)?;
    let Some(account) = account else {
        return Ok(None);
    };
    let previous = Email::parse(&account.email).map_err(Error::internal)?;
    // The token version is checked by the write itself, so that a password
    // change committed after the read above still stops the move.
    let moved = users::Entity::update_many()
        .col_expr(users::Column::Email, Expr::value(email.as_str()))
        .col_expr(users::Column::EmailVerified, Expr::value(true))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(link.user_id))
        .filter(users::Column::TokenVersion.eq(link.token_version))
        .exec(txn)
        .await;
    match moved {
        Ok(moved) if moved.rows_affected == 1 => {}
        Ok(_) => return Ok(None),
        Err(err) if is_unique_violation(&err) => return Err(Error::EmailTaken),
        Err(err) => return Err(to_domain(err)),
    }
    Entity::delete_many()
        .filter(Column::UserId.eq(link.user_id))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(Some(VerifiedEmail {
        user_id: UserId::from(link.user_id),
        email,
        previous,
    }))
}
