//! Sessions and their refresh tokens in the `sessions` and
//! `refresh_tokens` tables. Only hashes of refresh tokens are stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use taskpulse_domain::Result;
use taskpulse_domain::ports::SessionRepository;
use taskpulse_domain::session::{
    ClientInfo, NewSession, Rotation, Session, SessionId, SessionLifetime, TokenHash,
};
use taskpulse_domain::user::UserId;

use crate::db::{Database, Transaction, to_domain};
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
}

/// Marks the sessions matching `condition` ended, on `conn`; returns how
/// many.
pub(super) async fn end_where(
    conn: &impl ConnectionTrait,
    condition: Condition,
    now: DateTime<Utc>,
) -> Result<u64> {
    let result = sessions::Entity::update_many()
        .col_expr(sessions::Column::EndedAt, Some(now).into())
        .filter(condition.add(sessions::Column::EndedAt.is_null()))
        .exec(conn)
        .await
        .map_err(to_domain)?;
    Ok(result.rows_affected)
}

/// Stores refresh token `hash` of a session, on `conn`.
async fn insert_token(
    conn: &impl ConnectionTrait,
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
        .exec_without_returning(conn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

/// [`SessionRepository::rotate`]'s statements, on a transaction.
async fn rotate_in(
    txn: &Transaction,
    presented: &TokenHash,
    next: &TokenHash,
    now: DateTime<Utc>,
    lifetime: SessionLifetime,
) -> Result<Rotation> {
    let token = refresh_tokens::Entity::find_by_id(presented.as_str())
        .one(txn)
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
        .one(txn)
        .await
        .map_err(to_domain)?;
    let Some(started_at) = session
        .filter(|s| s.ended_at.is_none() && s.expires_at > now)
        .map(|s| s.created_at)
    else {
        return Ok(Rotation::Invalid);
    };
    let ends_at = lifetime.ends_at(started_at);
    if ends_at <= now || token.expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    // The conditional update is the single use: of two concurrent
    // presentations of one token, only one marks it used.
    let marked = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Some(now).into())
        .filter(refresh_tokens::Column::Hash.eq(presented.as_str()))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(txn)
        .await
        .map_err(to_domain)?;
    if marked.rows_affected == 0 {
        return Ok(Rotation::Reused { user_id });
    }
    let session_id = SessionId::from(token.session_id);
    let expires_at = lifetime.token_expires_at(started_at, now);
    insert_token(txn, next, session_id, token.user_id, now, expires_at).await?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, now.into())
        .col_expr(sessions::Column::ExpiresAt, expires_at.into())
        .filter(sessions::Column::Id.eq(token.session_id))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(Rotation::Rotated {
        session_id,
        user_id,
        ends_at,
    })
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
        let txn = self.db.begin().await.map_err(to_domain)?;
        let stored = match sessions::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(to_domain)
        {
            Ok(_) => {
                insert_token(
                    &txn,
                    &session.refresh_hash,
                    session.id,
                    session.user_id.as_uuid(),
                    session.created_at,
                    session.expires_at,
                )
                .await
            }
            Err(err) => Err(err),
        };
        txn.finish(stored).await
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: DateTime<Utc>,
        lifetime: SessionLifetime,
    ) -> Result<Rotation> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let rotation = rotate_in(&txn, presented, next, now, lifetime).await;
        txn.finish(rotation).await
    }

    async fn end(&self, user: UserId, id: SessionId, now: DateTime<Utc>) -> Result<bool> {
        let condition = Condition::all()
            .add(sessions::Column::Id.eq(id.as_uuid()))
            .add(sessions::Column::UserId.eq(user.as_uuid()))
            .add(sessions::Column::ExpiresAt.gt(now));
        Ok(end_where(&self.db, condition, now).await? > 0)
    }

    async fn end_by_token(&self, presented: &TokenHash, now: DateTime<Utc>) -> Result<()> {
        let token = refresh_tokens::Entity::find_by_id(presented.as_str())
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        if let Some(token) = token {
            end_where(
                &self.db,
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
        end_where(&self.db, condition, now).await?;
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
                    request_id: None,
                    user_agent: row.user_agent,
                    ip: row.ip,
                },
            })
            .collect())
    }
}
