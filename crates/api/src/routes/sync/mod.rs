//! The change log under `/api/v1/users/{user_id}`: `…/changes`, the feed
//! an offline client syncs from, and `…/activity`, the log as an audit
//! trail. Both page with an opaque `cursor` ([`cursor`]).

mod cursor;
mod export;

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskpulse_domain::changes::{Change, Deletion, FeedPage, SyncCursor};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use self::cursor::{MALFORMED, decode_activity, decode_sync, encode_activity, encode_sync};
use crate::dto::{LabelBody, TASK_JSON_BYTES, TaskBody, rfc3339};
use crate::error::ApiError;
use crate::extract::{Fields, OwnTasks};
use crate::routes::{ACCOUNT, Endpoint, TASKS_READ};

pub(crate) use self::export::{ExportBody, ExportedTaskBody};

/// The change log endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_changes>(TASKS_READ, || web::route().to(changes)),
        Endpoint::of::<__path_activity>(TASKS_READ, || web::route().to(activity)),
        // The export holds the account too: no personal access token reaches it.
        Endpoint::of::<export::__path_export>(ACCOUNT, || web::route().to(export::export)),
    ]
}

/// Entries per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 100;
/// The most entries a page holds.
const MAX_LIMIT: u32 = 1_000;

/// The query of both routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// Where the last page ended (its `cursor`); absent for the start.
    #[param(value_type = Option<String>, max_length = 200, pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
    /// Entries per page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, example = 100)]
    limit: Option<String>,
}

/// The parsed query: the cursor (decoded by `decode`) and the limit, or
/// the contract's 422 naming each bad parameter.
fn page_params<T>(
    req: &HttpRequest,
    decode: impl Fn(&str) -> Option<T>,
) -> Result<(Option<T>, u32), ApiError> {
    let params: PageParams = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| ApiError::invalid("query", "malformed query string"))?;
    let mut fields = Fields::default();
    let cursor = params
        .cursor
        .as_deref()
        .and_then(|raw| fields.parse("cursor", raw, |raw| decode(raw).ok_or(MALFORMED)));
    let limit = params.limit.as_deref().and_then(|raw| {
        fields.parse("limit", raw, |raw| match raw.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err("must be an integer from 1 to 1000"),
        })
    });
    fields.finish()?;
    Ok((cursor, limit.unwrap_or(DEFAULT_LIMIT)))
}

/// A deletion in the feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeletedEntry)]
pub(crate) struct DeletionBody {
    /// What was deleted.
    #[serde(rename = "type")]
    #[schema(example = "task")]
    kind: Kind,
    #[schema(minimum = 1, example = 7)]
    id: i64,
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    deleted_at: DateTime<Utc>,
}

/// What a change is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ChangeKind)]
pub(crate) enum Kind {
    Task,
    Label,
}

impl From<taskpulse_domain::changes::Changed> for Kind {
    fn from(kind: taskpulse_domain::changes::Changed) -> Self {
        match kind {
            taskpulse_domain::changes::Changed::Task => Self::Task,
            taskpulse_domain::changes::Changed::Label => Self::Label,
        }
    }
}

impl From<Deletion> for DeletionBody {
    fn from(deletion: Deletion) -> Self {
        Self {
            kind: deletion.kind.into(),
            id: deletion.id,
            deleted_at: deletion.deleted_at,
        }
    }
}

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ChangesPage)]
pub(crate) struct ChangesBody {
    /// Tasks changed since the cursor, each once, as they are now.
    tasks: Vec<TaskBody>,
    /// Labels changed since the cursor, each once, as they are now.
    labels: Vec<LabelBody>,
    /// What was deleted since the cursor (a task in the trash counts as
    /// deleted until it is restored, when it is in `tasks` again).
    deleted: Vec<DeletionBody>,
    /// Where to read on from: pass it as `cursor` next time.
    #[schema(example = "UwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAKgAGRHzs3dEA")]
    cursor: String,
    /// Whether more changes are waiting: read again at once with `cursor`.
    has_more: bool,
}

impl ChangesBody {
    fn of(page: FeedPage, next: SyncCursor) -> Self {
        Self {
            tasks: page.tasks.into_iter().map(TaskBody::from).collect(),
            labels: page.labels.into_iter().map(LabelBody::from).collect(),
            deleted: page.deleted.into_iter().map(DeletionBody::from).collect(),
            cursor: encode_sync(next),
            has_more: page.has_more,
        }
    }
}

/// What the caller's tasks and labels went through since `cursor`:
/// every task and label changed, each once in its latest state, and every
/// deletion, earliest change first. Without a cursor, a snapshot of
/// everything there is, paged the same way. Read with each answer's
/// `cursor` until `has_more` is false; keep the last cursor for the next
/// sync.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/changes", operation_id = "list_changes",
    params(
        ("user_id" = Uuid, Path, description = "The caller's own user id (any other is 404)"),
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of changes", body = ChangesBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 410, description = "`SYNC_CURSOR_EXPIRED`: the cursor is older than the change log keeps; sync again without one"),
        (status = 422, description = "A malformed or foreign `cursor`, or a bad `limit`"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn changes(tasks: OwnTasks, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (cursor, limit) = tasks.accept(page_params(&req, decode_sync)).await?;
    let (page, next) = tasks.changes(cursor, limit).await?;
    let entries = page.tasks.len() + page.labels.len() + page.deleted.len();
    // Sized for typical tasks, so that the buffer seldom grows (each
    // growth copies what is written so far).
    let mut body = Vec::with_capacity(CURSOR_JSON_BYTES + entries * TASK_JSON_BYTES);
    serde_json::to_writer(&mut body, &ChangesBody::of(page, next))
        .map_err(|_| ApiError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

/// About how long a feed page's JSON is without its entries.
const CURSOR_JSON_BYTES: usize = 128;

/// One change of the log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ActivityEntry)]
pub(crate) struct ChangeBody {
    /// What it is about.
    #[serde(rename = "type")]
    kind: Kind,
    #[schema(minimum = 1, example = 7)]
    id: i64,
    /// `created`, `updated`, `deleted` (a task to the trash, a label for
    /// good), `restored` or `purged`.
    #[schema(example = "updated")]
    action: &'static str,
    /// For `updated`, the fields that changed.
    #[schema(example = json!(["title", "completed"]))]
    fields: Vec<String>,
    /// The session that made it (`GET /api/v1/auth/sessions`); `null` for
    /// the scheduled purge and tokens minted elsewhere.
    session_id: Option<Uuid>,
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    at: DateTime<Utc>,
}

impl From<Change> for ChangeBody {
    fn from(change: Change) -> Self {
        Self {
            kind: change.kind.into(),
            id: change.id,
            action: change.action.as_str(),
            fields: change.fields,
            session_id: change.session.map(|session| session.as_uuid()),
            at: change.at,
        }
    }
}

/// One page of the activity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ActivityPage)]
pub(crate) struct ActivityBody {
    /// Changes, newest first.
    changes: Vec<ChangeBody>,
    /// Where the next (older) page starts; `null` on the last page.
    cursor: Option<String>,
}

/// The caller's change log as an audit trail, newest first: what changed,
/// which fields, when, and from which session (kept for
/// `sync.retention_days`).
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/activity", operation_id = "list_activity",
    params(
        ("user_id" = Uuid, Path, description = "The caller's own user id (any other is 404)"),
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of the log", body = ActivityBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 422, description = "A malformed or foreign `cursor`, or a bad `limit`"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn activity(tasks: OwnTasks, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (cursor, limit) = tasks.accept(page_params(&req, decode_activity)).await?;
    let (changes, next) = tasks.activity(cursor, limit).await?;
    Ok(HttpResponse::Ok().json(ActivityBody {
        changes: changes.into_iter().map(ChangeBody::from).collect(),
        cursor: next.map(encode_activity),
    }))
}
