//! Clocks: the real one, and one that tests and simulations set by hand.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::ports::Clock;

/// [`Clock`] reading the system time, to the microsecond (what the SQL
/// adapters keep).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// [`Clock`] that stands still until it is set or advanced: for tests of
/// expiry, lock-out and ordering by time.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use taskpulse_domain::memory::FixedClock;
/// use taskpulse_domain::ports::Clock;
///
/// let start = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).single().expect("valid");
/// let clock = FixedClock::new(start);
///
/// clock.advance(Duration::minutes(15));
///
/// assert_eq!(clock.now(), start + Duration::minutes(15));
/// ```
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Shows `now` from here on.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the time on by `by` (back, when negative).
    ///
    /// # Panics
    /// When the time would leave chrono's range (some 262 000 years).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
