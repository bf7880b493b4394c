//! The security event log in the `security_events` table, each event also
//! written to the operator's log (target `security`) before it is stored,
//! so that the operator sees it even when storage does not answer.

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use taskpulse_domain::security_log::{
    RecordedEvent, SecurityEvent, SecurityEventKind, SecurityLog,
};
use taskpulse_domain::session::{ClientInfo, SessionId};
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Error, Result};

use crate::db::{Database, to_domain};
use crate::entities::security_events::{ActiveModel, Column, Entity, Model};

/// [`SecurityLog`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaSecurityLog {
    db: Database,
}

impl SeaSecurityLog {
    /// A log on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SecurityLog for SeaSecurityLog {
    async fn record(&self, event: SecurityEvent) -> Result<()> {
        tracing::info!(
            target: "security",
            event = event.kind.as_str(),
            user_id = %event.user_id,
            session_id = event.session_id.map(|id| id.to_string()),
            ip = event.client.ip.as_deref(),
            user_agent = event.client.user_agent.as_deref(),
            request_id = event.client.request_id.as_deref(),
            "security event"
        );
        let row = ActiveModel {
            id: NotSet,
            user_id: Set(event.user_id.as_uuid()),
            kind: Set(event.kind.as_str().to_owned()),
            session_id: Set(event.session_id.map(|id| id.as_uuid())),
            ip: Set(event.client.ip),
            user_agent: Set(event.client.user_agent),
            request_id: Set(event.client.request_id),
            at: Set(event.at),
        };
        Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }

    async fn list(
        &self,
        user: UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>> {
        let mut query = Entity::find().filter(Column::UserId.eq(user.as_uuid()));
        if let Some(before) = before {
            query = query.filter(Column::Id.lt(before));
        }
        let rows = query
            .order_by_desc(Column::Id)
            .limit(u64::from(limit))
            .all(&self.db)
            .await
            .map_err(to_domain)?;
        rows.into_iter().map(recorded).collect()
    }
}

fn recorded(row: Model) -> Result<RecordedEvent> {
    let kind = SecurityEventKind::parse(&row.kind)
        .ok_or_else(|| Error::internal(format!("unknown security event {:?}", row.kind)))?;
    Ok(RecordedEvent {
        id: row.id,
        event: SecurityEvent {
            user_id: UserId::from(row.user_id),
            kind,
            session_id: row.session_id.map(SessionId::from),
            client: ClientInfo {
                user_agent: row.user_agent,
                ip: row.ip,
                request_id: row.request_id,
            },
            at: row.at,
        },
    })
}
