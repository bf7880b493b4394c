//! The listing's and the trash's query parameters, parsed into a
//! [`TaskQuery`] or a [`TrashQuery`], or the contract's 422 naming each bad
//! one.

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use taskpulse_domain::label::LabelName;
use taskpulse_domain::task::{
    Due, PageLimit, PageLimitError, Priority, Sort, TaskId, TaskQuery, TrashQuery,
};

use super::fields::{date, instant};
use crate::error::ApiError;
use crate::extract::Fields;

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
    /// Only top-level tasks (`true`) or only subtasks (`false`).
    #[param(value_type = Option<bool>)]
    top_level: Option<String>,
    /// Only open tasks past their due date or time (`true`; a date ends
    /// at midnight in the task's time zone), or only the others (`false`).
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// Only the subtasks of this task (none for another user's).
    #[param(value_type = Option<i64>, minimum = 1, example = 42)]
    parent_id: Option<String>,
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
const SORTS: [&str; 14] = [
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
    "position",
    "-position",
];

/// The sort values with names that client generators can use for enum
/// members (`x-enum-varnames`): `CREATED_AT`, `CREATED_AT_DESC`, …
fn sort_names() -> Vec<String> {
    SORTS
        .iter()
        .map(|sort| match sort.strip_prefix('-') {
            Some(field) => format!("{}_DESC", field.to_ascii_uppercase()),
            None => sort.to_ascii_uppercase(),
        })
        .collect()
}

fn sort_schema() -> utoipa::openapi::schema::Object {
    let names =
        utoipa::openapi::extensions::Extensions::from_iter([("x-enum-varnames", sort_names())]);
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(SORTS))
        .default(Some("-created_at".into()))
        .extensions(Some(names))
        .build()
}

pub(super) fn list_query(req: &HttpRequest) -> Result<TaskQuery, ApiError> {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| malformed())?;
    // `label` repeats, which a struct cannot take from serde_urlencoded (its
    // documentation is with the list handler's).
    let mut labels = Vec::new();
    pairs.retain(|(key, value)| {
        let label = key == "label";
        if label {
            labels.push(value.clone());
        }
        !label
    });
    let rest = serde_urlencoded::to_string(&pairs).map_err(|_| malformed())?;
    let params: ListParams = serde_urlencoded::from_str(&rest).map_err(|_| malformed())?;
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
        query.completed = fields.parse("completed", raw, boolean);
    }
    for raw in &labels {
        if let Some(name) = fields.parse("label", raw, LabelName::parse) {
            query.labels.push(name);
        }
    }
    if let Some(raw) = params.overdue.as_deref() {
        query.overdue = fields.parse("overdue", raw, boolean);
    }
    if let Some(raw) = params.top_level.as_deref() {
        query.top_level = fields.parse("top_level", raw, boolean);
    }
    if let Some(raw) = params.parent_id.as_deref() {
        query.parent = fields.parse("parent_id", raw, str::parse::<TaskId>);
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
    (query.limit, query.offset) = paging(&mut fields, &params.limit, &params.offset);
    fields.finish()?;
    Ok(query)
}

/// The trash's query parameters, as sent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TrashParams {
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// Deleted tasks to skip.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9223372036854775807_i64, example = 0)]
    offset: Option<String>,
}

/// The trash's [`TrashQuery`], or the contract's 422 naming each bad
/// parameter.
///
/// # Errors
/// [`ApiError::Validation`] for a bad value; a malformed query string is a
/// 422 too.
pub(super) fn trash_query(req: &HttpRequest) -> Result<TrashQuery, ApiError> {
    let params: TrashParams =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| malformed())?;
    let mut fields = Fields::default();
    let (limit, offset) = paging(&mut fields, &params.limit, &params.offset);
    fields.finish()?;
    Ok(TrashQuery { limit, offset })
}

/// A page's `limit` and `offset` (the defaults where absent or bad; a bad
/// one is recorded in `fields`).
fn paging(
    fields: &mut Fields,
    limit: &Option<String>,
    offset: &Option<String>,
) -> (PageLimit, u64) {
    let limit = limit.as_deref().and_then(|raw| {
        fields.parse("limit", raw, |s| {
            s.parse::<u32>()
                .map_err(|_| PageLimitError)
                .and_then(PageLimit::new)
        })
    });
    let offset = offset.as_deref().and_then(|raw| {
        fields.parse("offset", raw, |s| match s.parse::<u64>() {
            Ok(n) if i64::try_from(n).is_ok() => Ok(n),
            _ => Err("must be an integer from 0 to 9223372036854775807"),
        })
    });
    (limit.unwrap_or_default(), offset.unwrap_or_default())
}

/// The 422 of a query string that is not `key=value` pairs.
fn malformed() -> ApiError {
    ApiError::invalid("query", "malformed query string")
}

/// `true` or `false`.
fn boolean(raw: &str) -> Result<bool, &'static str> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false"),
    }
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
