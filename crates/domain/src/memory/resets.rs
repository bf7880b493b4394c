//! Password-reset tokens in memory, and a mailer that keeps what it sends.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::error::Result;
use crate::reset::{Mailer, PasswordResetStore, ResetMail};
use crate::session::TokenHash;
use crate::user::UserId;

/// A stored reset token.
#[derive(Debug, Clone)]
pub(super) struct ResetRow {
    pub(super) user_id: UserId,
    token_version: i64,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// [`PasswordResetStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryPasswordResets {
    store: MemoryStore,
}

impl MemoryPasswordResets {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl PasswordResetStore for MemoryPasswordResets {
    async fn create(
        &self,
        hash: &TokenHash,
        user: UserId,
        token_version: i64,
        _now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let row = ResetRow {
            user_id: user,
            token_version,
            expires_at,
            used: false,
        };
        self.store.lock().password_resets.insert(hash.clone(), row);
        Ok(())
    }

    async fn consume(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<(UserId, i64)>> {
        let mut tables = self.store.lock();
        let Some(row) = tables
            .password_resets
            .get_mut(hash)
            .filter(|row| !row.used && row.expires_at > now)
        else {
            return Ok(None);
        };
        row.used = true;
        Ok(Some((row.user_id, row.token_version)))
    }
}

/// [`Mailer`] that keeps every reset email it is given, for tests and
/// programs that deliver mail themselves.
#[derive(Debug, Clone, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<ResetMail>>>,
}

impl RecordingMailer {
    /// A mailer with an empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// The emails sent so far, oldest first.
    pub fn sent(&self) -> Vec<ResetMail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send_reset(&self, mail: ResetMail) -> Result<()> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(mail);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn a_reset_token_is_used_once_and_only_before_it_expires() {
        let resets = MemoryStore::new().password_resets();
        let (now, user) = (Utc::now(), UserId::new_random());
        let (fresh, old) = (TokenHash::new("fresh".into()), TokenHash::new("old".into()));

        futures_executor::block_on(async {
            resets
                .create(&fresh, user, 2, now, now + Duration::hours(1))
                .await
                .expect("stored");
            resets
                .create(&old, user, 2, now, now + Duration::seconds(1))
                .await
                .expect("stored");

            assert_eq!(
                resets.consume(&fresh, now).await.expect("read"),
                Some((user, 2))
            );
            assert_eq!(
                resets.consume(&fresh, now).await.expect("read"),
                None,
                "single use"
            );
            assert_eq!(
                resets
                    .consume(&old, now + Duration::seconds(2))
                    .await
                    .expect("read"),
                None,
                "expired"
            );
            assert_eq!(
                resets
                    .consume(&TokenHash::new("unknown".into()), now)
                    .await
                    .expect("read"),
                None
            );
        });
    }
}
