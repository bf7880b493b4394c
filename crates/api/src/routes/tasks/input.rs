//! What the task routes read from a request: the listing's query, the
//! bodies, `Idempotency-Key`, each parsed into domain values or the
//! contract's 400, 415 or 422.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use taskpulse_domain::idempotency::{IdempotencyKey, IdempotencyKeyError};
use taskpulse_domain::task::{
    Description, Due, NewTask, PageLimit, PageLimitError, Priority, Sort, TaskChanges, TaskQuery,
    TimeZone, Title,
};

use crate::error::ApiError;
use crate::extract::{Fields, nullable, optional_json_body};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The listing's query parameters, as sent (each parsed by hand, so that
/// a bad value is a 422 naming it).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Only completed (`true`) or open (`false`) tasks.
    #[param(value_type = Option<bool>)]
    completed: Option<String>,
    /// Only tasks of at least this priority (0–4).
    #[param(value_type = Option<u8>, minimum = 0, maximum = 4, example = 3)]
    priority_min: Option<String>,
    /// Only tasks due before this date (its midnight in UTC) or instant
    /// (RFC 3339 with an offset).
    #[param(value_type = Option<String>, example = "2026-12-31")]
    due_before: Option<String>,
    /// Only tasks due on or after this date (its midnight in UTC) or
    /// instant (RFC 3339 with an offset).
    #[param(value_type = Option<String>, example = "2026-12-01")]
    due_after: Option<String>,
    /// A case-insensitive substring of the title or description (empty: no filter).
    #[param(example = "report", pattern = r"^[^\u0000]*$")]
    q: Option<String>,
    /// Order: a field, descending with a leading `-`; ties are broken by id.
    #[param(schema_with = sort_schema)]
    sort: Option<String>,
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// Tasks to skip.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9223372036854775807_i64, example = 0)]
    offset: Option<String>,
}

/// The `sort` values of a listing.
const SORTS: [&str; 12] = [
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "title",
    "-title",
    "id",
    "-id",
    "priority",
    "-priority",
    "due",
    "-due",
];

fn sort_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(SORTS))
        .default(Some("-created_at".into()))
        .build()
}

pub(super) fn list_query(req: &HttpRequest) -> Result<TaskQuery, ApiError> {
    let params: ListParams = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| ApiError::invalid("query", "malformed query string"))?;
    let mut fields = Fields::default();
    let mut query = TaskQuery::default();
    if let Some(raw) = params.q.as_deref().filter(|q| !q.is_empty()) {
        // No task holds a NUL, and PostgreSQL cannot even compare text with one.
        query.search = fields.parse("q", raw, |s| {
            if s.contains('\0') {
                Err("must not contain NUL characters")
            } else {
                Ok(s.to_owned())
            }
        });
    }
    if let Some(raw) = params.completed.as_deref() {
        query.completed = fields.parse("completed", raw, |s| match s {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("must be true or false"),
        });
    }
    if let Some(raw) = params.priority_min.as_deref() {
        query.priority_min = fields.parse("priority_min", raw, str::parse::<Priority>);
    }
    if let Some(raw) = params.due_before.as_deref() {
        query.due_before = fields.parse("due_before", raw, due_bound);
    }
    if let Some(raw) = params.due_after.as_deref() {
        query.due_after = fields.parse("due_after", raw, due_bound);
    }
    if let Some(raw) = params.sort.as_deref() {
        query.sort = fields
            .parse("sort", raw, str::parse::<Sort>)
            .unwrap_or_default();
    }
    if let Some(raw) = params.limit.as_deref() {
        let limit = fields.parse("limit", raw, |s| {
            s.parse::<u32>()
                .map_err(|_| PageLimitError)
                .and_then(PageLimit::new)
        });
        query.limit = limit.unwrap_or_default();
    }
    if let Some(raw) = params.offset.as_deref() {
        query.offset = fields
            .parse("offset", raw, |s| match s.parse::<u64>() {
                Ok(n) if i64::try_from(n).is_ok() => Ok(n),
                _ => Err("must be an integer from 0 to 9223372036854775807"),
            })
            .unwrap_or_default();
    }
    fields.finish()?;
    Ok(query)
}

/// A date, `YYYY-MM-DD` in digits exactly (chrono alone would also take
/// a sign or padding spaces), in years 1 to 9999.
fn date(raw: &str) -> Result<NaiveDate, &'static str> {
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
fn instant(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&Utc).trunc_subsecs(6))
        .filter(|at| (1..=9999).contains(&at.year()))
        .ok_or("must be an RFC 3339 date-time with an offset, in years 1 to 9999")
}

/// A `due_before`/`due_after` bound: a date (its midnight in UTC, where
/// all-day tasks sort) or an instant.
fn due_bound(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    if raw.len() == 10 {
        date(raw).map(|d| Due::Date(d).sort_key())
    } else {
        instant(raw).map_err(|_| "must be a date (YYYY-MM-DD) or an RFC 3339 date-time")
    }
}

/// The due fields of a body, as sent.
struct DueFields {
    date: Option<Option<String>>,
    at: Option<Option<String>>,
    time_zone: Option<Option<String>>,
}

impl DueFields {
    /// The due time to set: `None` when neither field is given,
    /// `Some(None)` when one is `null` and the other absent or `null`.
    /// Both with a value is 422 on `due_at`.
    fn due(&self, fields: &mut Fields) -> Option<Option<Due>> {
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
    fn time_zone(&self, fields: &mut Fields) -> Option<TimeZone> {
        match &self.time_zone {
            None => None,
            Some(None) => Some(TimeZone::default()),
            Some(Some(raw)) => fields.parse("time_zone", raw, TimeZone::parse),
        }
    }
}

/// The body of create and replace: a whole task.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct TaskInput {
    /// 1–200 characters after trimming; no control characters.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, example = "Write report",
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$")]
    title: Option<Option<String>>,
    /// At most 1000 characters; absent or `null` is none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000, example = "Quarterly numbers", pattern = r"^[^\u0000]*$")]
    description: Option<Option<String>>,
    /// Create: `false` when absent. Replace: unchanged when absent.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = bool)]
    completed: Option<Option<bool>>,
    /// 0 (none) to 4 (urgent). Create: 0 when absent or `null`. Replace:
    /// unchanged when absent, 0 when `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 4, example = 0)]
    priority: Option<Option<i64>>,
    /// All day on this date, `YYYY-MM-DD` (at most one of `due_date` and
    /// `due_at`); `null` clears the due time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-24")]
    due_date: Option<Option<String>>,
    /// At this instant, RFC 3339 with an offset, kept in UTC; `null` clears
    /// the due time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-24T18:00:00+01:00")]
    due_at: Option<Option<String>>,
    /// The IANA time zone the due date is read in; `null` is `UTC`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Europe/Paris")]
    time_zone: Option<Option<String>>,
}

/// The body of `PATCH`: only the fields given change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct TaskPatch {
    /// 1–200 characters after trimming; no control characters.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = String, min_length = 1, max_length = 200, example = "Write the report",
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$")]
    title: Option<Option<String>>,
    /// At most 1000 characters; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = r"^[^\u0000]*$")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = bool)]
    completed: Option<Option<bool>>,
    /// 0 (none) to 4 (urgent); `null` sets 0.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 4, example = 3)]
    priority: Option<Option<i64>>,
    /// All day on this date, `YYYY-MM-DD` (at most one of `due_date` and
    /// `due_at`); `null` clears the due time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-24")]
    due_date: Option<Option<String>>,
    /// At this instant, RFC 3339 with an offset, kept in UTC; `null` clears
    /// the due time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-24T18:00:00+01:00")]
    due_at: Option<Option<String>>,
    /// The IANA time zone the due date is read in; `null` is `UTC`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Europe/Paris")]
    time_zone: Option<Option<String>>,
}

/// A given priority: `null` is none (0).
fn priority_field(fields: &mut Fields, value: Option<Option<i64>>) -> Option<Priority> {
    value.and_then(|given| match given {
        None => Some(Priority::default()),
        Some(raw) => Priority::new(raw)
            .map_err(|e| fields.push("priority", &e.to_string()))
            .ok(),
    })
}

fn completed_field(fields: &mut Fields, value: Option<Option<bool>>) -> Option<bool> {
    match value {
        Some(None) => {
            fields.push("completed", "must be true or false");
            None
        }
        other => other.flatten(),
    }
}

fn description_field(fields: &mut Fields, value: Option<&str>) -> Option<Description> {
    value.and_then(|raw| fields.parse("description", raw, Description::parse))
}

/// Parses a full task (create, replace): `title` required, an absent
/// `description` is none.
pub(super) fn full_task(input: TaskInput) -> Result<NewTask, ApiError> {
    let mut fields = Fields::default();
    let title = fields.required("title", input.title.flatten().as_deref(), Title::parse);
    let description = description_field(&mut fields, input.description.flatten().as_deref());
    let completed = completed_field(&mut fields, input.completed);
    let priority = priority_field(&mut fields, input.priority);
    let due_fields = DueFields {
        date: input.due_date,
        at: input.due_at,
        time_zone: input.time_zone,
    };
    let due = due_fields.due(&mut fields);
    let time_zone = due_fields.time_zone(&mut fields);
    fields.finish()?;
    let title = title.ok_or(ApiError::Internal)?;
    Ok(NewTask {
        title,
        description,
        completed: completed.unwrap_or(false),
        priority: priority.unwrap_or_default(),
        due: due.flatten(),
        time_zone: time_zone.unwrap_or_default(),
    })
}

/// The changes of a PUT: title and description always; `completed`,
/// `priority`, the due time and the time zone only when given (a client
/// that knows nothing of them keeps them).
pub(super) fn replacement(input: TaskInput) -> Result<TaskChanges, ApiError> {
    let completed_given = matches!(input.completed, Some(Some(_)));
    let priority_given = input.priority.is_some();
    let due_given = input.due_date.is_some() || input.due_at.is_some();
    let time_zone_given = input.time_zone.is_some();
    let new = full_task(input)?;
    Ok(TaskChanges {
        title: Some(new.title),
        description: Some(new.description),
        completed: completed_given.then_some(new.completed),
        priority: priority_given.then_some(new.priority),
        due: due_given.then_some(new.due),
        time_zone: time_zone_given.then_some(new.time_zone),
    })
}

/// The state `…/complete` sets, or `None` to toggle.
pub(super) fn completion(req: &HttpRequest, body: &[u8]) -> Result<Option<bool>, ApiError> {
    let body: Option<CompletionBody> = optional_json_body(req, body)?;
    let mut fields = Fields::default();
    let completed = body.and_then(|b| completed_field(&mut fields, b.completed));
    fields.finish()?;
    Ok(completed)
}

pub(super) fn patch_changes(input: TaskPatch) -> Result<TaskChanges, ApiError> {
    let mut fields = Fields::default();
    let title = match input.title {
        None => None,
        Some(raw) => fields.required("title", raw.as_deref(), Title::parse),
    };
    let description = input
        .description
        .map(|raw| description_field(&mut fields, raw.as_deref()));
    let completed = completed_field(&mut fields, input.completed);
    let priority = priority_field(&mut fields, input.priority);
    let due_fields = DueFields {
        date: input.due_date,
        at: input.due_at,
        time_zone: input.time_zone,
    };
    let due = due_fields.due(&mut fields);
    let time_zone = due_fields.time_zone(&mut fields);
    fields.finish()?;
    Ok(TaskChanges {
        title,
        description,
        completed,
        priority,
        due,
        time_zone,
    })
}

/// The body of `…/complete`: the state to set, or nothing to toggle.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TaskCompletion)]
pub(crate) struct CompletionBody {
    /// Absent: toggle.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = bool)]
    completed: Option<Option<bool>>,
}

/// The `Idempotency-Key` header, if sent.
pub(super) fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let invalid = |e: &dyn ToString| ApiError::invalid("Idempotency-Key", e.to_string());
    let text = value.to_str().map_err(|_| invalid(&IdempotencyKeyError))?;
    IdempotencyKey::parse(text)
        .map(Some)
        .map_err(|e| invalid(&e))
}

/// Identifies a create's request: the SHA-256 of its body bytes.
pub(super) fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
