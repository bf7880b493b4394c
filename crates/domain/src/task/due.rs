//! When a task is due: all day on a date, or at an instant; and the time
//! zone its date is read in.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};

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
            Self::Date(date) => date.and_time(NaiveTime::MIN).and_utc(),
        }
    }

    /// When a task due this way and not completed becomes overdue, read in
    /// `zone`: an instant as it is; a date at the start of the next day
    /// there (midnight, or the first minute after a clock change that
    /// skips it), no later than the last microsecond of year 9999 in UTC,
    /// the latest instant stored.
    pub fn deadline(self, zone: TimeZone) -> DateTime<Utc> {
        match self {
            Self::At(at) => at,
            Self::Date(date) => {
                let next = date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN);
                let start = (0..=2 * 24 * 60)
                    .find_map(|minutes| {
                        zone.0
                            .from_local_datetime(&(next + Duration::minutes(minutes)))
                            .earliest()
                    })
                    .map_or_else(|| next.and_utc(), |start| start.with_timezone(&Utc));
                start.min(latest())
            }
        }
    }
}

/// The last instant of year 9999 in UTC, to the microsecond.
fn latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|day| day.and_hms_micro_opt(23, 59, 59, 999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |at| at.and_utc())
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

    fn deadline(date: &str, zone: &str) -> String {
        let date: NaiveDate = date.parse().expect("a date");
        let zone = TimeZone::parse(zone).expect("a zone");
        Due::Date(date).deadline(zone).to_rfc3339()
    }

    #[test]
    fn a_date_is_overdue_from_the_next_midnight_in_its_time_zone() {
        assert_eq!(deadline("2026-12-24", "UTC"), "2026-12-25T00:00:00+00:00");
        assert_eq!(
            deadline("2026-12-24", "Europe/Paris"),
            "2026-12-24T23:00:00+00:00"
        );
        assert_eq!(
            deadline("2026-12-24", "America/Los_Angeles"),
            "2026-12-25T08:00:00+00:00"
        );
        assert_eq!(
            deadline("2026-12-24", "Pacific/Kiritimati"),
            "2026-12-24T10:00:00+00:00"
        );
        let at = DateTime::parse_from_rfc3339("2026-12-24T10:00:00Z")
            .expect("an instant")
            .with_timezone(&Utc);
        assert_eq!(Due::At(at).deadline(TimeZone::default()), at);
    }

    #[test]
    fn a_day_that_starts_in_a_clock_change_starts_after_it() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2022-09-11.
        assert_eq!(
            deadline("2022-09-10", "America/Santiago"),
            "2022-09-11T04:00:00+00:00"
        );
        // Samoa skipped 2011-12-30 altogether.
        assert_eq!(
            deadline("2011-12-29", "Pacific/Apia"),
            "2011-12-30T10:00:00+00:00"
        );
        assert_eq!(
            deadline("9999-12-31", "America/Los_Angeles"),
            "9999-12-31T23:59:59.999999+00:00"
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
