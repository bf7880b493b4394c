//! The values of a task body, each parsed into its domain type or a
//! message on its field: dates and instants, the due fields, the priority,
//! the completion state, the description, the parent and the labels.

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use taskpulse_domain::label::{LabelName, TaskLabels};
use taskpulse_domain::task::{Description, Due, Placement, Priority, Slot, TaskId, TimeZone};

use crate::extract::Fields;

/// A date, `YYYY-MM-DD` in digits exactly (chrono alone would also take
/// a sign or padding spaces), in years 1 to 9999.
pub(super) fn date(raw: &str) -> Result<NaiveDate, &'static str> {
    let shape = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| shape && d.year() >= 1)
        .ok_or("must be a date, YYYY-MM-DD")
}

/// An instant in RFC 3339 with an offset (`Z` or `±hh:mm`), as UTC, to the
/// microsecond (what both databases keep), in years 1 to 9999 in UTC (so
/// that it is written back as it was read, and sorts as text on SQLite).
pub(crate) fn instant(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&Utc).trunc_subsecs(6))
        .filter(|at| (1..=9999).contains(&at.year()))
        .ok_or("must be an RFC 3339 date-time with an offset, in years 1 to 9999")
}

/// The due fields of a body, as sent.
pub(super) struct DueFields {
    pub(super) date: Option<Option<String>>,
    pub(super) at: Option<Option<String>>,
    pub(super) time_zone: Option<Option<String>>,
}

impl DueFields {
    /// The due time to set: `None` when neither field is given,
    /// `Some(None)` when one is `null` and the other absent or `null`.
    /// Both with a value is 422 on `due_at`.
    pub(super) fn due(&self, fields: &mut Fields) -> Option<Option<Due>> {
        let date = match &self.date {
            Some(Some(raw)) => fields.parse("due_date", raw, date).map(Due::Date),
            _ => None,
        };
        let at = match &self.at {
            Some(Some(raw)) => fields.parse("due_at", raw, instant).map(Due::At),
            _ => None,
        };
        match (&self.date, &self.at) {
            (Some(Some(_)), Some(Some(_))) => {
                fields.push("due_at", "must not be given with due_date");
                None
            }
            (Some(Some(_)), _) => date.map(Some),
            (_, Some(Some(_))) => at.map(Some),
            (None, None) => None,
            _ => Some(None),
        }
    }

    /// The time zone to set: `null` is UTC.
    pub(super) fn time_zone(&self, fields: &mut Fields) -> Option<TimeZone> {
        match &self.time_zone {
            None => None,
            Some(None) => Some(TimeZone::default()),
            Some(Some(raw)) => fields.parse("time_zone", raw, TimeZone::parse),
        }
    }
}

/// A given parent: `Some(None)` for `null` (top level).
pub(super) fn parent_field(
    fields: &mut Fields,
    value: Option<Option<i64>>,
) -> Option<Option<TaskId>> {
    match value? {
        None => Some(None),
        Some(raw) => TaskId::new(raw)
            .map_err(|e| fields.push("parent_id", &e.to_string()))
            .ok()
            .map(Some),
    }
}

/// Given labels: `Some` of an empty list for `null`.
pub(super) fn labels_field(
    fields: &mut Fields,
    value: Option<Option<Vec<String>>>,
) -> Option<TaskLabels> {
    let raw = value?.unwrap_or_default();
    let mut names = Vec::with_capacity(raw.len());
    for name in &raw {
        match LabelName::parse(name) {
            Ok(name) => names.push(name),
            Err(e) => {
                fields.push("labels", &format!("each label {e}"));
                return None;
            }
        }
    }
    TaskLabels::new(names)
        .map_err(|e| fields.push("labels", &e.to_string()))
        .ok()
}

/// A move to `parent`, the task kept where it is if that is its parent.
pub(super) fn reparenting(parent: Option<Option<TaskId>>) -> Option<Placement> {
    parent.map(|parent| Placement {
        parent: Some(parent),
        slot: Slot::Kept,
    })
}

/// A given priority: `null` is none (0).
pub(super) fn priority_field(fields: &mut Fields, value: Option<Option<i64>>) -> Option<Priority> {
    value.and_then(|given| match given {
        None => Some(Priority::default()),
        Some(raw) => Priority::new(raw)
            .map_err(|e| fields.push("priority", &e.to_string()))
            .ok(),
    })
}

pub(super) fn completed_field(fields: &mut Fields, value: Option<Option<bool>>) -> Option<bool> {
    match value {
        Some(None) => {
            fields.push("completed", "must be true or false");
            None
        }
        other => other.flatten(),
    }
}

pub(super) fn description_field(fields: &mut Fields, value: Option<&str>) -> Option<Description> {
    value.and_then(|raw| fields.parse("description", raw, Description::parse))
}
