//! Budgets of requests kept in storage, so that every server replica
//! shares them: at most so many hits of a key (a client address, an
//! account) in any window of time, by the generic cell rate algorithm.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::error::Result;
use crate::ports::Clock;

/// Where rate-limit state lives: one theoretical arrival time (TAT) per
/// key, in storage that every replica shares, updated by the generic cell
/// rate algorithm (GCRA) in one atomic step.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Takes one hit of `key` at `now` (all times in milliseconds since the
    /// Unix epoch), atomically across replicas. With `tat` the key's stored
    /// arrival time, or `now` when it has none or an older one, the hit is
    /// admitted when `tat + interval - now <= window`, and `tat + interval`
    /// is stored; else it is refused and nothing is written. Answers
    /// whether it was admitted and the key's stored arrival time after it.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn take(&self, key: &str, now: i64, interval: i64, window: i64) -> Result<(bool, i64)>;

    /// Forgets the keys whose arrival time is before `cutoff` (their
    /// budget is whole again); answers how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn purge(&self, cutoff: i64) -> Result<u64>;
}

/// At most `limit` hits in any `window`, spread or at once: a key may
/// burst `limit` hits, then one more each `window / limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Hits allowed per window (at least one).
    pub limit: u32,
    /// The window's length (at least one second).
    pub window: Duration,
}

impl Budget {
    /// The window and the interval between hits, in milliseconds.
    fn millis(&self) -> (i64, i64) {
        let window = self.window.num_milliseconds().max(1000);
        (window, (window / i64::from(self.limit.max(1))).max(1))
    }
}

/// What a hit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the budget.
    Allowed,
    /// Over it until the window ends, in whole seconds (at least one).
    Exceeded {
        /// Seconds until a hit is allowed again.
        retry_after_secs: u64,
    },
}

/// Checks hits against budgets.
#[derive(Clone)]
pub struct RateLimiter {
    store: Arc<dyn RateLimitStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// Keeps its state in `store`, at the time of `clock`.
    pub fn new(store: Arc<dyn RateLimitStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Takes one hit of `key` and tells whether it is within `budget`.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    pub async fn hit(&self, key: &str, budget: Budget) -> Result<Verdict> {
        let now = self.clock.now().timestamp_millis();
        let (window, interval) = budget.millis();
        let (admitted, tat) = self.store.take(key, now, interval, window).await?;
        if admitted {
            return Ok(Verdict::Allowed);
        }
        // The next hit fits once `tat + interval - later <= window`.
        let wait = (tat + interval - window - now).max(1);
        let secs = u64::try_from(wait.div_euclid(1000) + i64::from(wait % 1000 != 0));
        Ok(Verdict::Exceeded {
            retry_after_secs: secs.unwrap_or(1).max(1),
        })
    }

    /// Forgets the keys whose budget is whole again; answers how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    pub async fn purge(&self) -> Result<u64> {
        self.store.purge(self.clock.now().timestamp_millis()).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mockall::predicate::eq;

    use super::*;
    use crate::ports::MockClock;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 10, 15, 42)
            .single()
            .expect("valid")
    }

    fn limiter(store: MockRateLimitStore) -> RateLimiter {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now());
        RateLimiter::new(Arc::new(store), Arc::new(clock))
    }

    const THREE_A_MINUTE: Budget = Budget {
        limit: 3,
        window: Duration::minutes(1),
    };

    #[tokio::test]
    async fn a_hit_takes_a_third_of_a_minute_of_a_three_a_minute_budget() {
        let at = now().timestamp_millis();
        let mut store = MockRateLimitStore::new();
        store
            .expect_take()
            .with(eq("ip:192.0.2.1"), eq(at), eq(20_000), eq(60_000))
            .times(1)
            .returning(move |_, now, interval, _| Ok((true, now + interval)));

        let verdict = limiter(store).hit("ip:192.0.2.1", THREE_A_MINUTE).await;

        assert_eq!(verdict.expect("taken"), Verdict::Allowed);
    }

    #[tokio::test]
    async fn a_refused_hit_waits_until_the_next_one_fits() {
        let at = now().timestamp_millis();
        let mut store = MockRateLimitStore::new();
        // Three hits just now: the arrival time is a minute ahead, and the
        // next hit fits 20 s from now (rounded up to whole seconds).
        store
            .expect_take()
            .returning(move |_, _, _, _| Ok((false, at + 60_000 + 500)));

        let verdict = limiter(store).hit("ip:192.0.2.1", THREE_A_MINUTE).await;

        assert_eq!(
            verdict.expect("taken"),
            Verdict::Exceeded {
                retry_after_secs: 21
            }
        );
    }

    #[tokio::test]
    async fn purging_forgets_keys_whose_budget_is_whole() {
        let mut store = MockRateLimitStore::new();
        store
            .expect_purge()
            .with(eq(now().timestamp_millis()))
            .times(1)
            .returning(|_| Ok(2));

        assert_eq!(limiter(store).purge().await.expect("purged"), 2);
    }
}
