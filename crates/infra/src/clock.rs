//! The real clock.

use chrono::{DateTime, Utc};
use taskpulse_domain::ports::Clock;

/// Reads the system time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
