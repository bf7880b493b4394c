//! Second factors, recovery codes and sign-in challenges in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::error::Result;
use crate::second_factor::{Challenge, SecondFactorStore, TotpFactor, TotpSecret};
use crate::session::TokenHash;
use crate::user::UserId;

/// A stored sign-in challenge.
#[derive(Debug, Clone)]
pub(super) struct ChallengeRow {
    challenge: Challenge,
    expires_at: DateTime<Utc>,
}

impl ChallengeRow {
    pub(super) fn user_id(&self) -> UserId {
        self.challenge.user_id
    }
}

/// [`SecondFactorStore`] in a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemorySecondFactors {
    store: MemoryStore,
}

impl MemorySecondFactors {
    pub(super) fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SecondFactorStore for MemorySecondFactors {
    async fn totp(&self, user: UserId) -> Result<Option<TotpFactor>> {
        Ok(self.store.lock().totp_factors.get(&user).cloned())
    }

    async fn begin_totp(
        &self,
        user: UserId,
        secret: &TotpSecret,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tables = self.store.lock();
        if tables.totp_factors.get(&user).is_some_and(|f| f.enabled) {
            return Ok(false);
        }
        let pending = TotpFactor {
            secret: secret.clone(),
            enabled: false,
            last_step: None,
        };
        tables.totp_factors.insert(user, pending);
        Ok(true)
    }

    async fn enable_totp(
        &self,
        user: UserId,
        secret: &TotpSecret,
        step: i64,
        recovery: &[TokenHash],
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tables = self.store.lock();
        let Some(factor) = tables
            .totp_factors
            .get_mut(&user)
            .filter(|f| !f.enabled && f.secret == *secret)
        else {
            return Ok(false);
        };
        factor.enabled = true;
        factor.last_step = Some(step);
        let codes = recovery.iter().map(|hash| (hash.clone(), false)).collect();
        tables.recovery_codes.insert(user, codes);
        Ok(true)
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let mut tables = self.store.lock();
        let Some(factor) = tables
            .totp_factors
            .get_mut(&user)
            .filter(|f| f.enabled && f.last_step.is_none_or(|last| step > last))
        else {
            return Ok(false);
        };
        factor.last_step = Some(step);
        Ok(true)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &TokenHash,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tables = self.store.lock();
        let unused = tables
            .recovery_codes
            .get_mut(&user)
            .and_then(|codes| codes.iter_mut().find(|(hash, used)| hash == code && !*used));
        Ok(unused.map(|(_, used)| *used = true).is_some())
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<usize> {
        let tables = self.store.lock();
        let codes = tables.recovery_codes.get(&user);
        Ok(codes.map_or(0, |codes| codes.iter().filter(|(_, used)| !used).count()))
    }

    async fn replace_recovery_codes(&self, user: UserId, codes: &[TokenHash]) -> Result<bool> {
        let mut tables = self.store.lock();
        if !tables.totp_factors.get(&user).is_some_and(|f| f.enabled) {
            return Ok(false);
        }
        let fresh = codes.iter().map(|hash| (hash.clone(), false)).collect();
        tables.recovery_codes.insert(user, fresh);
        Ok(true)
    }

    async fn disable_totp(&self, user: UserId) -> Result<bool> {
        let mut tables = self.store.lock();
        tables.recovery_codes.remove(&user);
        let removed = tables.totp_factors.remove(&user);
        Ok(removed.is_some_and(|factor| factor.enabled))
    }

    async fn issue_challenge(
        &self,
        hash: &TokenHash,
        challenge: Challenge,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tables = self.store.lock();
        tables.challenges.retain(|_, row| row.expires_at > now);
        let row = ChallengeRow {
            challenge,
            expires_at,
        };
        tables.challenges.insert(hash.clone(), row);
        Ok(())
    }

    async fn find_challenge(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<Challenge>> {
        let tables = self.store.lock();
        let row = tables
            .challenges
            .get(hash)
            .filter(|row| row.expires_at > now);
        Ok(row.map(|row| row.challenge))
    }

    async fn redeem_challenge(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<bool> {
        let mut tables = self.store.lock();
        let removed = tables.challenges.remove(hash);
        Ok(removed.is_some_and(|row| row.expires_at > now))
    }
}
