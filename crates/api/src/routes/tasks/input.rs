//! What the task routes read from a request besides the listing's query
//! (in `query`): the bodies and `Idempotency-Key`, each parsed into domain
//! values or the contract's 400, 415 or 422.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use taskpulse_domain::idempotency::{IdempotencyKey, IdempotencyKeyError};
use taskpulse_domain::task::{NewTask, Placement, Slot, TaskChanges, TaskId, Title};

use super::fields::{
    DueFields, completed_field, description_field, labels_field, parent_field, priority_field,
    reparenting,
};
use crate::error::ApiError;
use crate::extract::{Fields, nullable, optional_json_body};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

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
    /// The task this one is a subtask of (one of the caller's, at most 4
    /// levels deep); `null` is top level. A task that changes parent goes
    /// after its new siblings.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, example = 42)]
    parent_id: Option<Option<i64>>,
    /// Up to 20 label names (1–50 characters after trimming, no control
    /// characters), matched to the caller's labels ignoring case, a new
    /// label made for a name without one; each name once, in the order
    /// given. `null` is none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, max_items = 20, example = json!(["Errands"]))]
    labels: Option<Option<Vec<String>>>,
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
    /// The task this one is a subtask of (one of the caller's, at most 4
    /// levels deep); `null` is top level. A task that changes parent goes
    /// after its new siblings.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, example = 42)]
    parent_id: Option<Option<i64>>,
    /// Up to 20 label names (1–50 characters after trimming, no control
    /// characters), matched to the caller's labels ignoring case, a new
    /// label made for a name without one; each name once, in the order
    /// given. `null` is none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, max_items = 20, example = json!(["Errands"]))]
    labels: Option<Option<Vec<String>>>,
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
    let parent = parent_field(&mut fields, input.parent_id);
    let labels = labels_field(&mut fields, input.labels);
    fields.finish()?;
    let title = title.ok_or(ApiError::Internal)?;
    Ok(NewTask {
        title,
        description,
        completed: completed.unwrap_or(false),
        priority: priority.unwrap_or_default(),
        due: due.flatten(),
        time_zone: time_zone.unwrap_or_default(),
        parent: parent.flatten(),
        labels: labels.unwrap_or_default(),
    })
}

/// The changes of a PUT: title and description always; `completed`,
/// `priority`, the due time, the time zone, the parent and the labels only
/// when given (a client that knows nothing of them keeps them).
pub(super) fn replacement(input: TaskInput) -> Result<TaskChanges, ApiError> {
    let completed_given = matches!(input.completed, Some(Some(_)));
    let priority_given = input.priority.is_some();
    let due_given = input.due_date.is_some() || input.due_at.is_some();
    let time_zone_given = input.time_zone.is_some();
    let parent_given = input.parent_id.is_some();
    let labels_given = input.labels.is_some();
    let new = full_task(input)?;
    Ok(TaskChanges {
        title: Some(new.title),
        description: Some(new.description),
        completed: completed_given.then_some(new.completed),
        priority: priority_given.then_some(new.priority),
        due: due_given.then_some(new.due),
        time_zone: time_zone_given.then_some(new.time_zone),
        placement: reparenting(parent_given.then_some(new.parent)),
        labels: labels_given.then_some(new.labels),
    })
}

/// The state `…/complete` sets, or `None` to toggle.
pub(super) fn completion(req: &HttpRequest, body: &[u8]) -> Result<Option<bool>, ApiError> {
    completion_of(optional_json_body(req, body)?)
}

/// The state a completion body sets, or `None` to toggle.
pub(super) fn completion_of(body: Option<CompletionBody>) -> Result<Option<bool>, ApiError> {
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
    let parent = parent_field(&mut fields, input.parent_id);
    let labels = labels_field(&mut fields, input.labels);
    fields.finish()?;
    Ok(TaskChanges {
        title,
        description,
        completed,
        priority,
        due,
        time_zone,
        placement: reparenting(parent),
        labels,
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

/// The body of `…/move`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TaskMove)]
pub(crate) struct MoveBody {
    /// The sibling to go right after; `null` goes first; absent keeps the
    /// task where it is (after its new siblings if its parent changes).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, example = 41)]
    after: Option<Option<i64>>,
    /// The new parent; `null` is top level; absent keeps the parent.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, example = 42)]
    parent_id: Option<Option<i64>>,
}

/// The placement a move asks for.
pub(super) fn placement(input: MoveBody) -> Result<TaskChanges, ApiError> {
    let mut fields = Fields::default();
    let parent = parent_field(&mut fields, input.parent_id);
    let slot = match input.after {
        None => Some(Slot::Kept),
        Some(None) => Some(Slot::First),
        Some(Some(raw)) => TaskId::new(raw)
            .map_err(|e| fields.push("after", &e.to_string()))
            .ok()
            .map(Slot::After),
    };
    fields.finish()?;
    let slot = slot.ok_or(ApiError::Internal)?;
    Ok(TaskChanges {
        placement: Some(Placement { parent, slot }),
        ..TaskChanges::default()
    })
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
