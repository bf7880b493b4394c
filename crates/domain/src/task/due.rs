//! When a task is due: all day on a date, or at an instant; and the time
//! zone its date is read in.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

/// When a task is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// All day on a date (in the task's time zone).
    Date(NaiveDate),
    /// At an instant.
    At(DateTime<Utc>),
}

impl Due {
    /// Where the task stands among others by due time: an instant as it
    /// is, a date as its midnight in UTC (a floating date, the same for
    /// every time zone, as Google Tasks keeps it). Listings sort by it and
    /// `due_before`/`due_after` compare with it.
    pub fn sort_key(self) -> DateTime<Utc> {
        match self {
            Self::At(at) => at,
            Self::Date(date) => date.and_time(chrono::NaiveTime::MIN).and_utc(),
        }
    }
}

/// An IANA time zone name, checked against the tz database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeZone(chrono_tz::Tz);

/// A name that is not a time zone of the tz database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an IANA time zone name such as Europe/Paris or UTC")]
pub struct TimeZoneError;

impl TimeZone {
    /// Looks `name` up, exactly as the tz database spells it.
    ///
    /// # Errors
    /// [`TimeZoneError`] for an unknown name.
    pub fn parse(name: &str) -> Result<Self, TimeZoneError> {
        name.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| TimeZoneError)
    }

    /// The name, as stored.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_sorts_at_its_midnight_in_utc_and_an_instant_as_it_is() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date");
        let at = DateTime::parse_from_rfc3339("2026-12-06T23:30:00-02:00")
            .expect("an instant")
            .with_timezone(&Utc);

        assert_eq!(
            Due::Date(date).sort_key().to_rfc3339(),
            "2026-12-07T00:00:00+00:00"
        );
        assert_eq!(
            Due::At(at).sort_key().to_rfc3339(),
            "2026-12-07T01:30:00+00:00"
        );
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Paris").map(TimeZone::name),
            Ok("Europe/Paris")
        );
        assert_eq!(TimeZone::default().name(), "UTC");
        for bad in ["", "Paris", "europe/paris", "UTC+2", "Mars/Olympus"] {
            assert_eq!(TimeZone::parse(bad), Err(TimeZoneError), "{bad:?}");
        }
    }
}
