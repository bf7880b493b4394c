//! The real clock.

use chrono::{DateTime, SubsecRound, Utc};
use taskpulse_domain::ports::Clock;

/// Reads the system time, to the microsecond (what PostgreSQL keeps), so
/// that both databases answer with the same timestamps.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
