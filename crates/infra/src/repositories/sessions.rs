//! Sessions and their refresh tokens in the `sessions` and
//! `refresh_tokens` tables. Only hashes of refresh tokens are stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use taskpulse_domain::Result;
use taskpulse_domain::ports::SessionRepository;
use taskpulse_domain::session::{ClientInfo, NewSession, Rotation, Session, SessionId, TokenHash};
use taskpulse_domain::user::UserId;

use crate::db::{Database, to_domain};
use crate::entities::{refresh_tokens, sessions};

/// [`SessionRepository`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaSessionRepository {
    db: Database,
}

impl SeaSessionRepository {
    /// A repository on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn insert_token(
        &self,
        hash: &TokenHash,
        session_id: SessionId,
        user_id: uuid::Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let row = refresh_tokens::ActiveModel {
            hash: Set(hash.as_str().to_owned()),
            session_id: Set(session_id.as_uuid()),
            user_id: Set(user_id),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        };
        refresh_tokens::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }

    /// Marks the sessions matching `condition` ended; returns how many.
    async fn end_where(&self, condition: Condition, now: DateTime<Utc>) -> Result<u64> {
        let result = sessions::Entity::update_many()
            .col_expr(sessions::Column::EndedAt, Some(now).into())
            .filter(condition.add(sessions::Column::EndedAt.is_null()))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(result.rows_affected)
    }
}

#[async_trait]
impl SessionRepository for SeaSessionRepository {
    async fn start(&self, session: NewSession) -> Result<()> {
        let row = sessions::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            created_at: Set(session.created_at),
            last_used_at: Set(session.created_at),
            expires_at: Set(session.expires_at),
            ended_at: Set(None),
            user_agent: Set(session.client.user_agent),
            ip: Set(session.client.ip),
        };
        sessions::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(to_domain)?;
        let user_id = session.user_id.as_uuid();
        self.insert_token(
            &session.refresh_hash,
            session.id,
            user_id,
            session.created_at,
            session.expires_at,
        )
        .await
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: DateTime<Utc>,
        next_expires_at: DateTime<Utc>,
    ) -> Result<Rotation> {
        let token = refresh_tokens::Entity::find_by_id(presented.as_str())
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        let Some(token) = token else {
            return Ok(Rotation::Invalid);
        };
        let user_id = UserId::from(token.user_id);
        if token.used_at.is_some() {
            return Ok(Rotation::Reused { user_id });
        }
        let session = sessions::Entity::find_by_id(token.session_id)
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        let live = session.is_some_and(|s| s.ended_at.is_none() && s.expires_at > now);
        if !live || token.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        // The conditional update is the atomic step: of two concurrent
        // presentations of one token, only one marks it used.
        let marked = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Some(now).into())
            .filter(refresh_tokens::Column::Hash.eq(presented.as_str()))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        if marked.rows_affected == 0 {
            return Ok(Rotation::Reused { user_id });
        }
        let session_id = SessionId::from(token.session_id);
        self.insert_token(next, session_id, token.user_id, now, next_expires_at)
            .await?;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastUsedAt, now.into())
            .col_expr(sessions::Column::ExpiresAt, next_expires_at.into())
            .filter(sessions::Column::Id.eq(token.session_id))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(Rotation::Rotated {
            session_id,
            user_id,
        })
    }

    async fn end(&self, user: UserId, id: SessionId, now: DateTime<Utc>) -> Result<bool> {
        let condition = Condition::all()
            .add(sessions::Column::Id.eq(id.as_uuid()))
            .add(sessions::Column::UserId.eq(user.as_uuid()))
            .add(sessions::Column::ExpiresAt.gt(now));
        Ok(self.end_where(condition, now).await? > 0)
    }

    async fn end_by_token(&self, presented: &TokenHash, now: DateTime<Utc>) -> Result<()> {
        let token = refresh_tokens::Entity::find_by_id(presented.as_str())
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        if let Some(token) = token {
            self.end_where(
                Condition::all().add(sessions::Column::Id.eq(token.session_id)),
                now,
            )
            .await?;
        }
        Ok(())
    }

    async fn end_all(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut condition = Condition::all().add(sessions::Column::UserId.eq(user.as_uuid()));
        if let Some(except) = except {
            condition = condition.add(sessions::Column::Id.ne(except.as_uuid()));
        }
        self.end_where(condition, now).await?;
        Ok(())
    }

    async fn list_live(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<Session>> {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::EndedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .order_by_desc(sessions::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(rows
            .into_iter()
            .map(|row| Session {
                id: SessionId::from(row.id),
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                client: ClientInfo {
                    user_agent: row.user_agent,
                    ip: row.ip,
                },
            })
            .collect())
    }
}
