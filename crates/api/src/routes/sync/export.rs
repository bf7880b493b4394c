//! `GET /api/v1/users/{user_id}/export`: the caller's data as one JSON
//! document, streamed a page of tasks at a time (the whole document is
//! never held), with the sync cursor that catches up on what was written
//! while it was read.

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use serde::Serialize;
use taskpulse_domain::task::{PageLimit, StoredKey, StoredTask};
use taskpulse_domain::tasks::ExportHead;
use taskpulse_domain::{Error, OwnerTasks};
use utoipa::ToSchema;

use super::cursor::encode_sync;
use crate::dto::{LabelBody, TASK_JSON_BYTES, TaskBody, UserBody, rfc3339, rfc3339_or_null};
use crate::error::ApiError;
use crate::extract::OwnTasks;

/// The export document (its `tasks` written as they are read).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Export)]
pub(crate) struct ExportBody {
    /// When the export began.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    exported_at: DateTime<Utc>,
    /// The account (never the password or its hash).
    account: UserBody,
    /// Every label.
    labels: Vec<LabelBody>,
    /// The feed's position when the export began: `GET …/changes` with it
    /// brings the export up to date with what was written while it was
    /// read.
    cursor: String,
    /// Every task, the trash's too, in the order they were created.
    tasks: Vec<ExportedTaskBody>,
}

/// A task in the export: live, or in the trash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExportedTask)]
pub(crate) struct ExportedTaskBody {
    #[serde(flatten)]
    task: TaskBody,
    /// When it went to the trash; `null` for a live task.
    #[serde(serialize_with = "rfc3339_or_null")]
    #[schema(value_type = Option<String>, format = DateTime, example = json!(null))]
    deleted_at: Option<DateTime<Utc>>,
}

impl From<StoredTask> for ExportedTaskBody {
    fn from(stored: StoredTask) -> Self {
        Self {
            task: TaskBody::from(stored.task),
            deleted_at: stored.deleted_at,
        }
    }
}

/// The name the client saves the document under.
const FILE: &str = "attachment; filename=\"taskpulse-export.json\"";

/// The document up to its tasks: everything but the closing `]}` of the
/// empty `tasks` it is written with.
fn opening(head: ExportHead) -> serde_json::Result<Vec<u8>> {
    let mut document = serde_json::to_vec(&ExportBody {
        exported_at: head.cursor.started,
        account: UserBody::from(head.account),
        labels: head.labels.into_iter().map(LabelBody::from).collect(),
        cursor: encode_sync(head.cursor),
        tasks: Vec::new(),
    })?;
    document.truncate(document.len().saturating_sub(2));
    Ok(document)
}

/// Where the stream of tasks is.
enum Reading {
    /// The next page starts after this task (the first page without one).
    From(Option<StoredKey>),
    /// The document is complete.
    Done,
}

/// The tasks after `after`, as the next piece of the document: each but
/// the very first preceded by a comma, and the document's end after the
/// last page.
async fn next_piece(
    tasks: &OwnerTasks,
    after: Option<StoredKey>,
) -> Result<(Bytes, Reading), Error> {
    let limit = PageLimit::largest();
    let page = tasks.export_tasks(after, limit).await?;
    let last = page.len() < usize::try_from(limit.get()).unwrap_or(usize::MAX);
    let next = page.last().map(|stored| StoredKey::of(&stored.task));
    let mut piece = Vec::with_capacity(page.len() * TASK_JSON_BYTES + 2);
    for (n, stored) in page.into_iter().enumerate() {
        if after.is_some() || n > 0 {
            piece.push(b',');
        }
        serde_json::to_writer(&mut piece, &ExportedTaskBody::from(stored))
            .map_err(Error::internal)?;
    }
    if last {
        piece.extend_from_slice(b"]}");
        return Ok((Bytes::from(piece), Reading::Done));
    }
    Ok((Bytes::from(piece), Reading::From(next)))
}

/// Everything of the caller's, as one JSON document saved as a file:
/// the account, every label and every task (the trash's too, with
/// `deleted_at`), and a sync `cursor` from when it began. The tasks are
/// streamed as they are read: a task written meanwhile may appear as it
/// was before, and then `GET …/changes?cursor=…` brings it up to date. A
/// failure after the first byte ends the transfer early, so a truncated
/// document is never taken for a complete one.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/export", operation_id = "export_account",
    params(("user_id" = Uuid, Path, description = "The caller's own user id (any other is 404)")),
    responses(
        (status = 200, description = "The document, as an attachment", body = ExportBody,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"taskpulse-export.json\"`"))),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
pub(super) async fn export(tasks: OwnTasks) -> Result<HttpResponse, ApiError> {
    let head = tasks.export_head().await?;
    let opening = opening(head).map_err(|err| ApiError::from(Error::internal(err)))?;
    let tasks: OwnerTasks = (*tasks).clone();
    let pieces = stream::unfold(Reading::From(None), move |reading| {
        let tasks = tasks.clone();
        async move {
            let Reading::From(after) = reading else {
                return None;
            };
            match next_piece(&tasks, after).await {
                Ok((piece, next)) => Some((Ok(piece), next)),
                Err(err) => {
                    tracing::warn!(error = %err, "export ended early");
                    Some((Err(err), Reading::Done))
                }
            }
        }
    });
    let body = stream::once(async move { Ok(Bytes::from(opening)) }).chain(pieces);
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .insert_header((CONTENT_DISPOSITION, FILE))
        .insert_header((CACHE_CONTROL, "no-store"))
        .streaming(body))
}
