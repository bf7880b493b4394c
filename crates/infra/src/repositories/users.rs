//! Accounts in the `users` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable,
    QueryFilter,
};
use taskpulse_domain::ports::{LockoutPolicy, TokenSubject, UserRepository};
use taskpulse_domain::user::{Credentials, Email, NewUser, PasswordHash, User, UserId, UserName};
use taskpulse_domain::{Credential, Error, Result};

use super::live::credential_live;
use crate::db::{Database, is_unique_violation, to_domain};
use crate::entities::sessions;
use crate::entities::users::{self, Column, Entity};

/// Sets user `id`'s password on `conn` (a transaction of the caller's) as
/// [`UserRepository::change_password`] says, provided its token version is
/// `version`: the hash, one token version more, no
/// lock-out, every session ended. Whether the user qualified (if not,
/// nothing was written).
pub(super) async fn set_password(
    conn: &impl ConnectionTrait,
    id: UserId,
    hash: &PasswordHash,
    version: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let update = Entity::update_many()
        .col_expr(Column::PasswordHash, hash.as_str().into())
        .col_expr(Column::TokenVersion, Expr::col(Column::TokenVersion).add(1))
        .col_expr(Column::FailedLogins, 0.into())
        .col_expr(Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::TokenVersion.eq(version));
    let result = update.exec(conn).await.map_err(to_domain)?;
    if result.rows_affected == 0 {
        return Ok(false);
    }
    let of_user = sea_orm::Condition::all().add(sessions::Column::UserId.eq(id.as_uuid()));
    super::sessions::end_where(conn, of_user, now).await?;
    Ok(true)
}

/// [`UserRepository`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaUserRepository {
    db: Database,
}

impl SeaUserRepository {
    /// A repository on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn credentials_where(
        &self,
        condition: sea_orm::Condition,
    ) -> Result<Option<Credentials>> {
        let model = Entity::find()
            .filter(condition)
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        model.map(to_credentials).transpose()
    }
}

fn to_user(model: &users::Model) -> Result<User> {
    Ok(User {
        id: UserId::from(model.id),
        email: Email::parse(&model.email).map_err(Error::internal)?,
        name: UserName::parse(&model.name).map_err(Error::internal)?,
        is_active: model.is_active,
        email_verified: model.email_verified,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

fn to_credentials(model: users::Model) -> Result<Credentials> {
    Ok(Credentials {
        user: to_user(&model)?,
        password_hash: PasswordHash::new(model.password_hash),
        locked_until: model.locked_until,
        failed_logins: u32::try_from(model.failed_logins).unwrap_or(0),
        token_version: model.token_version,
    })
}

/// Maps an update that matched no row to `NotFound`.
fn one_row(rows_affected: u64) -> Result<()> {
    if rows_affected == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// Whether the credential asked about in
/// [`SeaUserRepository::find_token_subject`] is live.
#[derive(Debug, FromQueryResult)]
struct CredentialLive {
    credential_live: bool,
}

#[async_trait]
impl UserRepository for SeaUserRepository {
    async fn create(&self, new: NewUser) -> Result<User> {
        let user = new.user;
        let row = users::ActiveModel {
            id: Set(user.id.as_uuid()),
            email: Set(user.email.as_str().to_owned()),
            name: Set(user.name.as_str().to_owned()),
            password_hash: Set(new.password_hash.as_str().to_owned()),
            is_active: Set(user.is_active),
            email_verified: Set(user.email_verified),
            created_at: Set(user.created_at),
            updated_at: Set(user.updated_at),
            token_version: Set(0),
            failed_logins: Set(0),
            locked_until: Set(None),
            change_seq: sea_orm::ActiveValue::NotSet,
        };
        match Entity::insert(row).exec_without_returning(&self.db).await {
            Ok(_) => Ok(user),
            Err(err) if is_unique_violation(&err) => Err(Error::EmailTaken),
            Err(err) => Err(to_domain(err)),
        }
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>> {
        let model = Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        model.as_ref().map(to_user).transpose()
    }

    async fn find_token_subject(
        &self,
        id: UserId,
        credential: Option<Credential>,
    ) -> Result<Option<TokenSubject>> {
        let live = credential.map_or_else(|| Expr::val(true), credential_live);
        let mut select = Query::select();
        select
            .columns(users::Column::iter().map(|c| (users::Entity, c)))
            .expr_as(live, Alias::new("credential_live"))
            .from(users::Entity)
            .and_where(Expr::col((users::Entity, Column::Id)).eq(id.as_uuid()));
        let statement = self.db.get_database_backend().build(&select);
        let Some(row) = self.db.query_one_raw(statement).await.map_err(to_domain)? else {
            return Ok(None);
        };
        let model = users::Model::from_query_result(&row, "").map_err(to_domain)?;
        let live = CredentialLive::from_query_result(&row, "").map_err(to_domain)?;
        Ok(Some(TokenSubject {
            user: to_user(&model)?,
            token_version: model.token_version,
            credential_live: live.credential_live,
        }))
    }

    async fn find_credentials(&self, email: &Email) -> Result<Option<Credentials>> {
        self.credentials_where(sea_orm::Condition::all().add(Column::Email.eq(email.as_str())))
            .await
    }

    async fn find_credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>> {
        self.credentials_where(sea_orm::Condition::all().add(Column::Id.eq(id.as_uuid())))
            .await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let result = Entity::update_many()
            .col_expr(Column::PasswordHash, hash.as_str().into())
            .col_expr(Column::UpdatedAt, now.into())
            .filter(Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        one_row(result.rows_affected)
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let changed = set_password(&txn, id, &hash, version, now).await;
        txn.finish(changed).await
    }

    async fn record_failed_login(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        policy: LockoutPolicy,
    ) -> Result<bool> {
        // One statement, so concurrent failures on several replicas all
        // count, and each sees the count it made.
        let lock_expired = Expr::col(Column::LockedUntil)
            .is_not_null()
            .and(Expr::col(Column::LockedUntil).lte(now));
        let count =
            || Expr::case(lock_expired.clone(), 1).finally(Expr::col(Column::FailedLogins).add(1));
        let locks = Expr::expr(count()).gte(i64::from(policy.max_failures));
        let until = Expr::case(locks, now + policy.lockout).finally(Option::<DateTime<Utc>>::None);
        let counted = Entity::update_many()
            .col_expr(Column::FailedLogins, count().into())
            .col_expr(Column::LockedUntil, until.into())
            .filter(Column::Id.eq(id.as_uuid()))
            .exec_with_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(counted
            .first()
            .is_some_and(|row| i64::from(row.failed_logins) == i64::from(policy.max_failures)))
    }

    async fn clear_failed_logins(&self, id: UserId, now: DateTime<Utc>) -> Result<bool> {
        let unlocked = Expr::col(Column::LockedUntil)
            .is_null()
            .or(Expr::col(Column::LockedUntil).lte(now));
        let result = Entity::update_many()
            .col_expr(Column::FailedLogins, 0.into())
            .col_expr(Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(unlocked)
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(result.rows_affected == 1)
    }

    async fn rename(&self, id: UserId, name: UserName, now: DateTime<Utc>) -> Result<User> {
        let rows = Entity::update_many()
            .col_expr(Column::Name, name.as_str().into())
            .col_expr(Column::UpdatedAt, now.into())
            .filter(Column::Id.eq(id.as_uuid()))
            .exec_with_returning(&self.db)
            .await
            .map_err(to_domain)?;
        rows.first()
            .map(to_user)
            .transpose()?
            .ok_or(Error::NotFound)
    }

    async fn delete(&self, id: UserId) -> Result<()> {
        Entity::delete_by_id(id.as_uuid())
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }
}
