//! Idempotency keys in the `idempotency_keys` table. The primary key
//! (user_id, key) decides which of two concurrent claims wins.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, TryInsertResult,
};
use taskpulse_domain::idempotency::{Claim, IdempotencyStore};
use taskpulse_domain::idempotency::{IdempotencyKey, StoredResponse};
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Error, Result};

use crate::db::{Database, to_domain};
use crate::entities::idempotency_keys::{self, Column, Entity};

/// [`IdempotencyStore`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaIdempotencyStore {
    db: Database,
}

impl SeaIdempotencyStore {
    /// A store on this connection pool.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Inserts a fresh claim unless the key exists; true when inserted.
    async fn try_insert(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let row = idempotency_keys::ActiveModel {
            user_id: Set(owner.as_uuid()),
            key: Set(key.as_str().to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            status: Set(None),
            headers: Set(None),
            body: Set(None),
            created_at: Set(now),
        };
        let result = Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(&self.db)
            .await;
        match result.map_err(to_domain)? {
            TryInsertResult::Inserted(rows) => Ok(rows > 0),
            TryInsertResult::Empty | TryInsertResult::Conflicted => Ok(false),
        }
    }
}

fn the_key(owner: UserId, key: &IdempotencyKey) -> Condition {
    Condition::all()
        .add(Column::UserId.eq(owner.as_uuid()))
        .add(Column::Key.eq(key.as_str()))
}

fn stored(row: idempotency_keys::Model) -> Result<Option<StoredResponse>> {
    let (Some(status), Some(body)) = (row.status, row.body) else {
        return Ok(None);
    };
    let headers = match row.headers.as_deref() {
        Some(text) => decode_headers(text),
        None => Vec::new(),
    };
    Ok(Some(StoredResponse {
        status: u16::try_from(status).map_err(Error::internal)?,
        headers,
        body,
    }))
}

/// Headers are stored one per line as `name: value` (values never hold
/// line breaks: HTTP forbids them).
fn encode_headers(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect()
}

fn decode_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[async_trait]
impl IdempotencyStore for SeaIdempotencyStore {
    async fn claim(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Claim> {
        // Two rounds: a stale row found in the first is deleted, and the
        // second insert decides (against any concurrent claimer).
        for _ in 0..2 {
            if self.try_insert(owner, key, fingerprint, now).await? {
                return Ok(Claim::Started);
            }
            let Some(row) = Entity::find()
                .filter(the_key(owner, key))
                .one(&self.db)
                .await
                .map_err(to_domain)?
            else {
                continue;
            };
            let unfinished = row.status.is_none();
            let stale = row.created_at < expired_before
                || (unfinished && row.created_at < abandoned_before);
            if stale {
                Entity::delete_many()
                    .filter(the_key(owner, key).add(Column::CreatedAt.eq(row.created_at)))
                    .exec(&self.db)
                    .await
                    .map_err(to_domain)?;
                continue;
            }
            if row.fingerprint != fingerprint {
                return Ok(Claim::Mismatch);
            }
            return Ok(match stored(row)? {
                Some(response) => Claim::Replay(response),
                None => Claim::InProgress,
            });
        }
        Ok(Claim::InProgress)
    }

    async fn complete(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<()> {
        Entity::update_many()
            .col_expr(Column::Status, i32::from(response.status).into())
            .col_expr(Column::Headers, encode_headers(&response.headers).into())
            .col_expr(Column::Body, response.body.clone().into())
            .filter(the_key(owner, key))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }

    async fn release(&self, owner: UserId, key: &IdempotencyKey) -> Result<()> {
        Entity::delete_many()
            .filter(the_key(owner, key).add(Column::Status.is_null()))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64> {
        let result = Entity::delete_many()
            .filter(Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(result.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_survive_storage() {
        let headers = vec![
            ("location".to_owned(), "/a/b".to_owned()),
            ("etag".to_owned(), "\"1\"".to_owned()),
        ];

        assert_eq!(decode_headers(&encode_headers(&headers)), headers);
    }
}
