//! Password and code checks that refuse a locked account and count each
//! failure towards the next lock, telling the owner by email when one locks
//! it.

use chrono::{DateTime, Utc};

use super::events::Origin;
use super::{AuthService, LOCKOUT_NOTICES, Principal};
use crate::error::{Error, Result, TokenRejection};
use crate::mail::LockoutMail;
use crate::ports::PasswordCheck;
use crate::rate_limit::Verdict;
use crate::security_log::SecurityEventKind;
use crate::user::{Credentials, UserId};

/// Whole seconds from `now` until `until`, at least one.
pub(super) fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let millis = (until - now).num_milliseconds().max(0);
    u64::try_from(millis.div_euclid(1000) + i64::from(millis % 1000 != 0))
        .unwrap_or(1)
        .max(1)
}

impl AuthService {
    /// Checks a signed-in user's password, counting failures like logins
    /// and logging each.
    pub(super) async fn confirm_password(
        &self,
        principal: &Principal,
        password: &str,
    ) -> Result<Credentials> {
        let id = principal.user.id;
        let credentials = self.ports.users.find_credentials_by_id(id).await?;
        let credentials = credentials.ok_or(Error::Unauthorized(TokenRejection::UnknownUser))?;
        let origin = Origin::of(principal);
        let checked = self.check_password(&credentials, password, origin).await;
        if matches!(checked, Err(Error::WrongPassword)) {
            let kind = SecurityEventKind::PasswordConfirmationFailed;
            self.log_event(id, kind, origin).await;
        }
        checked.map(|_| credentials)
    }

    /// Whether the account's budget of lock-out notices allows one more.
    /// A failure to count is taken as no: the notice is a courtesy.
    async fn notice_allowed(&self, id: UserId) -> bool {
        let key = format!("lockout-mail:{id}");
        matches!(
            self.ports.limiter.hit(&key, LOCKOUT_NOTICES).await,
            Ok(Verdict::Allowed)
        )
    }

    /// Refuses a locked account, verifies the password and counts a
    /// failure; on success tells whether the hash wants an upgrade.
    pub(super) async fn check_password(
        &self,
        credentials: &Credentials,
        password: &str,
        origin: Origin<'_>,
    ) -> Result<bool> {
        self.refuse_locked(credentials)?;
        match self
            .ports
            .hasher
            .verify(password, &credentials.password_hash)
            .await?
        {
            PasswordCheck::Match { needs_rehash } => Ok(needs_rehash),
            PasswordCheck::Mismatch => {
                self.count_failure(credentials, origin).await?;
                Err(Error::WrongPassword)
            }
        }
    }

    /// [`Error::AccountLocked`] while repeated failures lock the account.
    pub(super) fn refuse_locked(&self, credentials: &Credentials) -> Result<()> {
        let now = self.ports.clock.now();
        match credentials.locked_until.filter(|until| *until > now) {
            Some(until) => Err(Error::AccountLocked {
                retry_after_secs: seconds_until(until, now),
            }),
            None => Ok(()),
        }
    }

    /// Counts a failed password or second-factor code towards the next
    /// lock, and tells the owner by email (and the log) when this one
    /// locks the account.
    pub(super) async fn count_failure(
        &self,
        credentials: &Credentials,
        origin: Origin<'_>,
    ) -> Result<()> {
        let now = self.ports.clock.now();
        let lockout = self.settings.lockout;
        let locked = self
            .ports
            .users
            .record_failed_login(credentials.user.id, now, lockout)
            .await?;
        if locked {
            let kind = SecurityEventKind::AccountLocked;
            self.log_event(credentials.user.id, kind, origin).await;
        }
        if locked && self.notice_allowed(credentials.user.id).await {
            let notice = LockoutMail {
                to: credentials.user.email.clone(),
                name: credentials.user.name.clone(),
                failures: lockout.max_failures,
                locked_until: now + lockout.lockout,
            };
            // Best effort: the notice must not change the answer, which
            // has to look like any wrong password's.
            let _ = self.ports.mailer.send_lockout(notice).await;
        }
        Ok(())
    }
}
