//! Instants as RFC 3339 text, `2026-12-07T01:02:03.456789Z`, exactly as
//! chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes them,
//! but on the stack: a listing writes two per task, and chrono's writer
//! allocates each one and goes through `fmt` (a twentieth of the CPU of a
//! listing of 50 tasks).

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

/// The longest text: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const MAX_LEN: usize = 30;

/// The RFC 3339 text of an instant.
pub(crate) enum Rfc3339 {
    /// Written here, for years 0 to 9999 outside a leap second.
    Short { bytes: [u8; MAX_LEN], len: usize },
    /// Written by chrono, for the rest.
    Long(String),
}

impl Rfc3339 {
    /// The text of `at`.
    pub(crate) fn of(at: &DateTime<Utc>) -> Self {
        let (date, time) = (at.date_naive(), at.time());
        let Ok(year) = u32::try_from(date.year()) else {
            return Self::long(at);
        };
        let nanos = time.nanosecond();
        if year > 9999 || nanos >= 1_000_000_000 {
            return Self::long(at);
        }
        let mut bytes = *b"0000-00-00T00:00:00.000000000Z";
        digits(&mut bytes[0..4], year);
        digits(&mut bytes[5..7], date.month());
        digits(&mut bytes[8..10], date.day());
        digits(&mut bytes[11..13], time.hour());
        digits(&mut bytes[14..16], time.minute());
        digits(&mut bytes[17..19], time.second());
        // As chrono's AutoSi: no fraction, or 3, 6 or 9 digits of it.
        let (fraction, places) = match nanos {
            0 => (0, 0),
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        let mut len = 19;
        if places > 0 {
            digits(&mut bytes[20..20 + places], fraction);
            len += 1 + places;
        }
        bytes[len] = b'Z';
        Self::Short {
            bytes,
            len: len + 1,
        }
    }

    fn long(at: &DateTime<Utc>) -> Self {
        Self::Long(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only ASCII digits and separators are written.
            Self::Short { bytes, len } => std::str::from_utf8(&bytes[..*len]).unwrap_or_default(),
            Self::Long(text) => text,
        }
    }
}

/// `value` in decimal, right-aligned and zero-padded in `out`.
fn digits(out: &mut [u8], mut value: u32) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeDelta};

    fn chrono_text(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    #[test]
    fn writes_what_chrono_writes_for_every_kind_of_fraction() {
        let base = NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(1, 2, 3))
            .expect("a time")
            .and_utc();
        for nanos in [
            0,
            1,
            999,
            1_000,
            456_789_000,
            5_000_000,
            120_000_000,
            999_999_999,
        ] {
            let at = base + TimeDelta::nanoseconds(nanos);
            assert_eq!(Rfc3339::of(&at).as_str(), chrono_text(&at));
        }
        let mut at = NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a time")
            .and_utc();
        while at.year() < 9999 {
            assert_eq!(Rfc3339::of(&at).as_str(), chrono_text(&at));
            at += TimeDelta::microseconds(863_999_999_937);
        }
    }

    #[test]
    fn leaves_years_past_four_digits_and_before_zero_to_chrono() {
        for at in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            assert!(matches!(Rfc3339::of(&at), Rfc3339::Long(_)));
            assert_eq!(Rfc3339::of(&at).as_str(), chrono_text(&at));
        }
    }
}
