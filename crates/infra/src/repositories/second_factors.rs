//! Second factors in the `totp_factors`, `recovery_codes` and
//! `mfa_challenges` tables. Every single use (a time step, a recovery
//! code, a challenge) is one conditional statement, so that of concurrent
//! uses on any number of replicas exactly one matches its row. Secrets
//! are stored sealed ([`Sealer`]), never in plain text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use taskpulse_domain::Result;
use taskpulse_domain::second_factor::{Challenge, SecondFactorStore, TotpFactor, TotpSecret};
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::user::UserId;

use crate::db::{Database, Transaction, to_domain};
use crate::entities::{mfa_challenges, recovery_codes, totp_factors};
use crate::sealing::Sealer;

/// [`SecondFactorStore`] on SeaORM.
#[derive(Debug, Clone)]
pub struct SeaSecondFactorStore {
    db: Database,
    sealer: Sealer,
}

impl SeaSecondFactorStore {
    /// A store on this connection pool, sealing secrets with `sealer`.
    pub fn new(db: Database, sealer: Sealer) -> Self {
        Self { db, sealer }
    }

    /// `secret` sealed for `user`'s row.
    fn seal(&self, user: UserId, secret: &TotpSecret) -> Result<String> {
        self.sealer.seal(user.as_uuid().as_bytes(), secret.expose())
    }

    /// Seals under the current key every secret that is not sealed under
    /// it yet: those stored before sealing, and those sealed under an
    /// earlier key. Idempotent, and safe on several replicas at once: each
    /// row is rewritten only while it still holds the value read.
    ///
    /// # Errors
    /// [`Error::Unavailable`](taskpulse_domain::Error::Unavailable) when
    /// storage cannot be reached.
    pub async fn reseal_secrets(&self) -> Result<Resealed> {
        use totp_factors::Column;
        let current = format!("{}%", self.sealer.current_prefix());
        let rows = totp_factors::Entity::find()
            .filter(Column::Secret.not_like(current))
            .all(&self.db)
            .await
            .map_err(to_domain)?;
        let mut outcome = Resealed::default();
        for row in rows {
            let opened = self.sealer.open(row.user_id.as_bytes(), &row.secret);
            let Some(secret) = opened.and_then(TotpSecret::from_base32).ok() else {
                outcome.unopened += 1;
                continue;
            };
            let user = UserId::from(row.user_id);
            let written = totp_factors::Entity::update_many()
                .col_expr(Column::Secret, Expr::value(self.seal(user, &secret)?))
                .filter(Column::UserId.eq(row.user_id))
                .filter(Column::Secret.eq(row.secret))
                .exec(&self.db)
                .await
                .map_err(to_domain)?;
            outcome.resealed += written.rows_affected;
        }
        Ok(outcome)
    }
}

/// What [`SeaSecondFactorStore::reseal_secrets`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Secrets now sealed under the current key.
    pub resealed: u64,
    /// Secrets left as they were: sealed under a key that is no longer
    /// configured (or not a secret at all). Their factors fail closed.
    pub unopened: u64,
}

#[async_trait]
impl SecondFactorStore for SeaSecondFactorStore {
    async fn totp(&self, user: UserId) -> Result<Option<TotpFactor>> {
        let row = totp_factors::Entity::find_by_id(user.as_uuid())
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let enabled = row.enabled_at.is_some();
        let secret = match self.sealer.open(row.user_id.as_bytes(), &row.secret) {
            Ok(secret) => secret,
            // A pending secret sealed under another server secret is as
            // good as none: its enrolment starts again. One that is on
            // fails closed.
            Err(_) if !enabled => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(Some(TotpFactor {
            secret: TotpSecret::from_base32(secret)?,
            enabled,
            last_step: row.last_step,
        }))
    }

    async fn begin_totp(
        &self,
        user: UserId,
        secret: &TotpSecret,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        use totp_factors::Column;
        let pending = totp_factors::ActiveModel {
            user_id: Set(user.as_uuid()),
            secret: Set(self.seal(user, secret)?),
            created_at: Set(now),
            enabled_at: Set(None),
            last_step: Set(None),
        };
        // A pending secret is replaced; one that is on matches the
        // `DO UPDATE … WHERE` to nothing.
        let written = totp_factors::Entity::insert(pending)
            .on_conflict(
                OnConflict::column(Column::UserId)
                    .update_columns([Column::Secret, Column::CreatedAt])
                    .action_and_where(
                        Expr::col((totp_factors::Entity, Column::EnabledAt)).is_null(),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(written == 1)
    }

    async fn enable_totp(
        &self,
        user: UserId,
        secret: &TotpSecret,
        step: i64,
        recovery: &[TokenHash],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let sealed = self.seal(user, secret)?;
        let txn = self.db.begin().await.map_err(to_domain)?;
        let enabled = enable_in(&txn, user, &sealed, step, recovery, now).await;
        txn.finish(enabled).await
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        use totp_factors::Column;
        let used = totp_factors::Entity::update_many()
            .col_expr(Column::LastStep, Expr::value(step))
            .filter(Column::UserId.eq(user.as_uuid()))
            .filter(Column::EnabledAt.is_not_null())
            .filter(Column::LastStep.is_null().or(Column::LastStep.lt(step)))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(used.rows_affected == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        use recovery_codes::Column;
        let used = recovery_codes::Entity::update_many()
            .col_expr(Column::UsedAt, Expr::value(now))
            .filter(Column::UserId.eq(user.as_uuid()))
            .filter(Column::Hash.eq(code.as_str()))
            .filter(Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(used.rows_affected == 1)
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<usize> {
        use recovery_codes::Column;
        let left = recovery_codes::Entity::find()
            .filter(Column::UserId.eq(user.as_uuid()))
            .filter(Column::UsedAt.is_null())
            .count(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(usize::try_from(left).unwrap_or(usize::MAX))
    }

    async fn replace_recovery_codes(&self, user: UserId, codes: &[TokenHash]) -> Result<bool> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let replaced = replace_codes_in(&txn, user, codes).await;
        match replaced {
            Ok(true) => txn.finish(Ok(true)).await,
            other => {
                let _ = txn.rollback().await;
                other
            }
        }
    }

    async fn disable_totp(&self, user: UserId) -> Result<bool> {
        let txn = self.db.begin().await.map_err(to_domain)?;
        let disabled = disable_in(&txn, user).await;
        txn.finish(disabled).await
    }

    async fn issue_challenge(
        &self,
        hash: &TokenHash,
        challenge: Challenge,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        use mfa_challenges::Column;
        mfa_challenges::Entity::delete_many()
            .filter(Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        let row = mfa_challenges::ActiveModel {
            hash: Set(hash.as_str().to_owned()),
            user_id: Set(challenge.user_id.as_uuid()),
            token_version: Set(challenge.token_version),
            expires_at: Set(expires_at),
        };
        mfa_challenges::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(())
    }

    async fn find_challenge(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<Challenge>> {
        use mfa_challenges::Column;
        let row = mfa_challenges::Entity::find_by_id(hash.as_str())
            .filter(Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(row.map(|row| Challenge {
            user_id: UserId::from(row.user_id),
            token_version: row.token_version,
        }))
    }

    async fn redeem_challenge(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<bool> {
        use mfa_challenges::Column;
        let redeemed = mfa_challenges::Entity::delete_many()
            .filter(Column::Hash.eq(hash.as_str()))
            .filter(Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await
            .map_err(to_domain)?;
        Ok(redeemed.rows_affected == 1)
    }
}

/// [`SecondFactorStore::enable_totp`]'s statements, on a transaction;
/// `sealed` is the secret as stored.
async fn enable_in(
    txn: &Transaction,
    user: UserId,
    sealed: &str,
    step: i64,
    recovery: &[TokenHash],
    now: DateTime<Utc>,
) -> Result<bool> {
    use totp_factors::Column;
    let enabled = totp_factors::Entity::update_many()
        .col_expr(Column::EnabledAt, Expr::value(now))
        .col_expr(Column::LastStep, Expr::value(step))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::EnabledAt.is_null())
        .filter(Column::Secret.eq(sealed))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    if enabled.rows_affected != 1 {
        return Ok(false);
    }
    store_codes(txn, user, recovery).await?;
    Ok(true)
}

/// [`SecondFactorStore::replace_recovery_codes`]'s statements, on a
/// transaction. The no-op update of the factor is the check that TOTP is
/// on, and on PostgreSQL holds its row until the end, so that a
/// concurrent `disable_totp` comes after and takes the new codes along.
async fn replace_codes_in(txn: &Transaction, user: UserId, codes: &[TokenHash]) -> Result<bool> {
    use totp_factors::Column;
    let on = totp_factors::Entity::update_many()
        .col_expr(Column::LastStep, Expr::col(Column::LastStep))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::EnabledAt.is_not_null())
        .exec(txn)
        .await
        .map_err(to_domain)?;
    if on.rows_affected != 1 {
        return Ok(false);
    }
    store_codes(txn, user, codes).await?;
    Ok(true)
}

/// Replaces the user's recovery codes with `codes`.
async fn store_codes(txn: &Transaction, user: UserId, codes: &[TokenHash]) -> Result<()> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user.as_uuid()))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    let rows = codes.iter().map(|hash| recovery_codes::ActiveModel {
        user_id: Set(user.as_uuid()),
        hash: Set(hash.as_str().to_owned()),
        used_at: Set(None),
    });
    recovery_codes::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(to_domain)?;
    Ok(())
}

/// [`SecondFactorStore::disable_totp`]'s statements, on a transaction.
async fn disable_in(txn: &Transaction, user: UserId) -> Result<bool> {
    use totp_factors::Column;
    let on = totp_factors::Entity::delete_many()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::EnabledAt.is_not_null())
        .exec(txn)
        .await
        .map_err(to_domain)?;
    totp_factors::Entity::delete_many()
        .filter(Column::UserId.eq(user.as_uuid()))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user.as_uuid()))
        .exec(txn)
        .await
        .map_err(to_domain)?;
    Ok(on.rows_affected == 1)
}
