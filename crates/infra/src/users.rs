//! Accounts in the `users` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use taskpulse_domain::ports::UserRepository;
use taskpulse_domain::user::{Credentials, Email, NewUser, PasswordHash, User, UserId, UserName};
use taskpulse_domain::{Error, Result};

use crate::db::{is_unique_violation, to_domain};
use crate::entities::users::{self, Column, Entity};

/// [`UserRepository`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaUserRepository {
    db: DatabaseConnection,
}

impl SeaUserRepository {
    /// A repository on this connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_user(model: users::Model) -> Result<Credentials> {
    let email = Email::parse(&model.email).map_err(Error::internal)?;
    let name = UserName::parse(&model.name).map_err(Error::internal)?;
    Ok(Credentials {
        user: User {
            id: UserId::from(model.id),
            email,
            name,
            is_active: model.is_active,
            created_at: model.created_at,
            updated_at: model.updated_at,
        },
        password_hash: PasswordHash::new(model.password_hash),
    })
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
            created_at: Set(user.created_at),
            updated_at: Set(user.updated_at),
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
        model.map(|m| to_user(m).map(|c| c.user)).transpose()
    }

    async fn find_credentials(&self, email: &Email) -> Result<Option<Credentials>> {
        let model = Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        model.map(to_user).transpose()
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
        if result.rows_affected == 0 {
            Err(Error::NotFound)
        } else {
            Ok(())
        }
    }
}
