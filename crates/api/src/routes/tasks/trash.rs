//! The trash under `/api/v1/users/{user_id}/tasks`: what `DELETE` took,
//! listed, restored and purged.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::output::trash_response;
use super::query::{TrashParams, trash_query};
use crate::dto::{TrashedTaskBody, task_response};
use crate::error::ApiError;
use crate::extract::{IfMatch, OneTask, OwnTasks};

/// The caller's deleted tasks, newest deletion first: each task deleted on
/// its own (its subtasks went with it and come back with it).
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/tasks/trash", operation_id = "list_trash",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        TrashParams,
    ),
    responses(
        (status = 200, description = "One page of the trash", body = [TrashedTaskBody], headers(
            ("X-Total-Count" = u64, description = "Tasks in the trash, before paging"),
            ("Link" = String, description = "`<…>; rel=\"next\"` when more deleted tasks remain"),
        )),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 422, description = "A query parameter has a bad value"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
pub(super) async fn list_trash(
    tasks: OwnTasks,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = tasks.accept(trash_query(&req)).await?;
    let page = tasks.trash(&query).await?;
    trash_response(&req, &query, page)
}

/// Brings a deleted task back, with the subtasks deleted with it, one
/// version more; at the top level when its parent is no longer there.
#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/tasks/{task_id}/restore", operation_id = "restore_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The id of a task the trash lists"),
        ("If-Match" = Option<String>, Header, example = "\"3\"",
            description = "`\"<version>\"` or `*`: restore only that version; any other value names no version, so 412 as for a stale one"),
    ),
    responses(
        (status = 200, description = "The restored task", body = crate::dto::TaskBody,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "The caller's trash lists no such task"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
pub(super) async fn restore_task(
    task: OneTask,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let restored = task.tasks.restore(task.id, if_match.0).await?;
    Ok(task_response(StatusCode::OK, restored))
}

/// Erases a deleted task, and everything under it, for good.
#[utoipa::path(
    delete, path = "/api/v1/users/{user_id}/tasks/trash/{task_id}", operation_id = "purge_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The id of a task the trash lists"),
    ),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "The caller's trash lists no such task"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
pub(super) async fn purge_task(task: OneTask) -> Result<HttpResponse, ApiError> {
    task.tasks.purge(task.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
