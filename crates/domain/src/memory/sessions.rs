//! Sessions and their refresh tokens (by hash) in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, Tables};
use crate::error::{Error, Result};
use crate::ports::SessionRepository;
use crate::session::{
    ClientInfo, NewSession, Rotation, Session, SessionId, SessionLifetime, TokenHash,
};
use crate::user::UserId;

/// A stored session.
#[derive(Debug, Clone)]
pub(super) struct SessionRow {
    pub(super) user_id: UserId,
    pub(super) created_at: DateTime<Utc>,
    pub(super) last_used_at: DateTime<Utc>,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) ended_at: Option<DateTime<Utc>>,
    pub(super) client: ClientInfo,
}

/// A stored refresh token; its hash is the key.
#[derive(Debug, Clone)]
pub(super) struct RefreshRow {
    pub(super) session_id: SessionId,
    pub(super) user_id: UserId,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) used_at: Option<DateTime<Utc>>,
}

/// [`SessionRepository`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemorySessions {
    store: MemoryStore,
}

impl MemorySessions {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

/// Ends every session that has not ended and passes `filter`.
pub(super) fn end_where(
    tables: &mut Tables,
    now: DateTime<Utc>,
    filter: impl Fn(&SessionId, &SessionRow) -> bool,
) -> usize {
    let mut ended = 0;
    for (id, session) in &mut tables.sessions {
        if session.ended_at.is_none() && filter(id, session) {
            session.ended_at = Some(now);
            ended += 1;
        }
    }
    ended
}

#[async_trait]
impl SessionRepository for MemorySessions {
    async fn start(&self, session: NewSession) -> Result<()> {
        let mut tables = self.store.lock();
        if tables.sessions.contains_key(&session.id)
            || tables.refresh_tokens.contains_key(&session.refresh_hash)
        {
            return Err(Error::internal("session or refresh token stored twice"));
        }
        tables.sessions.insert(
            session.id,
            SessionRow {
                user_id: session.user_id,
                created_at: session.created_at,
                last_used_at: session.created_at,
                expires_at: session.expires_at,
                ended_at: None,
                client: session.client,
            },
        );
        tables.refresh_tokens.insert(
            session.refresh_hash,
            RefreshRow {
                session_id: session.id,
                user_id: session.user_id,
                expires_at: session.expires_at,
                used_at: None,
            },
        );
        Ok(())
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: DateTime<Utc>,
        lifetime: SessionLifetime,
    ) -> Result<Rotation> {
        let mut tables = self.store.lock();
        let Some(token) = tables.refresh_tokens.get(presented).cloned() else {
            return Ok(Rotation::Invalid);
        };
        if token.used_at.is_some() {
            return Ok(Rotation::Reused {
                user_id: token.user_id,
            });
        }
        let Some(started_at) = tables
            .sessions
            .get(&token.session_id)
            .filter(|s| s.ended_at.is_none() && s.expires_at > now)
            .map(|s| s.created_at)
        else {
            return Ok(Rotation::Invalid);
        };
        let ends_at = lifetime.ends_at(started_at);
        if ends_at <= now || token.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let next_expires_at = lifetime.token_expires_at(started_at, now);
        if tables.refresh_tokens.contains_key(next) {
            return Err(Error::internal("refresh token stored twice"));
        }
        if let Some(used) = tables.refresh_tokens.get_mut(presented) {
            used.used_at = Some(now);
        }
        tables.refresh_tokens.insert(
            next.clone(),
            RefreshRow {
                used_at: None,
                expires_at: next_expires_at,
                ..token
            },
        );
        if let Some(session) = tables.sessions.get_mut(&token.session_id) {
            session.last_used_at = now;
            session.expires_at = next_expires_at;
        }
        Ok(Rotation::Rotated {
            session_id: token.session_id,
            user_id: token.user_id,
            ends_at,
        })
    }

    async fn end(&self, user: UserId, id: SessionId, now: DateTime<Utc>) -> Result<bool> {
        let mut tables = self.store.lock();
        let ended = end_where(&mut tables, now, |sid, s| {
            *sid == id && s.user_id == user && s.expires_at > now
        });
        Ok(ended > 0)
    }

    async fn end_by_token(&self, presented: &TokenHash, now: DateTime<Utc>) -> Result<()> {
        let mut tables = self.store.lock();
        if let Some(session_id) = tables.refresh_tokens.get(presented).map(|t| t.session_id) {
            end_where(&mut tables, now, |sid, _| *sid == session_id);
        }
        Ok(())
    }

    async fn end_all(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tables = self.store.lock();
        end_where(&mut tables, now, |sid, s| {
            s.user_id == user && Some(*sid) != except
        });
        Ok(())
    }

    async fn list_live(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<Session>> {
        let tables = self.store.lock();
        let mut live: Vec<(&SessionId, &SessionRow)> = tables
            .sessions
            .iter()
            .filter(|(_, s)| s.user_id == user && s.ended_at.is_none() && s.expires_at > now)
            .collect();
        live.sort_by_key(|(_, s)| std::cmp::Reverse(s.created_at));
        Ok(live
            .into_iter()
            .map(|(id, s)| Session {
                id: *id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                client: s.client.clone(),
            })
            .collect())
    }
}
