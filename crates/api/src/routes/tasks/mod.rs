//! `/api/v1/users/{user_id}/tasks` and its compatibility paths. Each
//! handler parses ([`input`]), calls the owner's tasks that its extractor
//! opened ([`OwnTasks`], [`OneTask`]), and answers ([`output`]).

mod batch;
mod fields;
mod input;
mod output;
mod query;
mod trash;
mod validator;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use taskpulse_domain::task::TaskChanges;

pub(crate) use self::batch::{BatchAnswer, BatchBody, BatchOpBody, OpResult};
pub(crate) use self::fields::instant;
pub(crate) use self::input::{CompletionBody, MoveBody, TaskInput, TaskPatch};
use self::input::{
    completion, fingerprint, full_task, idempotency_key, patch_changes, placement, replacement,
};
use self::output::{answered, created, page_response, replay};
use self::query::{ListParams, list_query};
use self::trash::{
    __path_list_trash, __path_purge_task, __path_restore_task, list_trash, purge_task, restore_task,
};
use self::validator::{
    asks_if_changed, has_validator, listing_tag, not_modified, tagged, unchanged,
};
use crate::dto::{TaskBody, task_response};
use crate::error::ApiError;
use crate::extract::{IfMatch, OneTask, OwnTasks, json_body};
use crate::routes::{Endpoint, TASKS_READ, TASKS_WRITE};
use crate::state::AppState;

/// The canonical prefix of the task routes.
const PREFIX: &str = "/api/v1/users/{user_id}/tasks";

/// The original backends' prefixes, answered by the same handlers.
const COMPAT_PREFIXES: [&str; 3] = [
    "/api/v1/{user_id}/tasks",
    "/api/users/{user_id}/tasks",
    "/api/{user_id}/tasks",
];

/// The task endpoints, each also under the compatibility prefixes.
pub fn endpoints() -> Vec<Endpoint> {
    [
        Endpoint::of::<__path_batch_tasks>(TASKS_WRITE, || web::route().to(batch_tasks)),
        Endpoint::of::<__path_list_trash>(TASKS_READ, || web::route().to(list_trash)),
        Endpoint::of::<__path_purge_task>(TASKS_WRITE, || web::route().to(purge_task)),
        Endpoint::of::<__path_restore_task>(TASKS_WRITE, || web::route().to(restore_task)),
        Endpoint::of::<__path_list>(TASKS_READ, || web::route().to(list)),
        Endpoint::of::<__path_create>(TASKS_WRITE, || web::route().to(create)),
        Endpoint::of::<__path_get>(TASKS_READ, || web::route().to(get)),
        Endpoint::of::<__path_replace>(TASKS_WRITE, || web::route().to(replace)),
        Endpoint::of::<__path_update>(TASKS_WRITE, || web::route().to(update)),
        Endpoint::of::<__path_delete>(TASKS_WRITE, || web::route().to(delete)),
        Endpoint::of::<__path_complete>(TASKS_WRITE, || web::route().to(complete)),
        Endpoint::of::<__path_move_task>(TASKS_WRITE, || web::route().to(move_task)),
    ]
    .into_iter()
    .map(|endpoint| {
        let rest = endpoint
            .path
            .strip_prefix(PREFIX)
            .unwrap_or_default()
            .to_owned();
        endpoint.with_aliases(COMPAT_PREFIXES.map(|prefix| format!("{prefix}{rest}")))
    })
    .collect()
}

/// The caller's tasks, filtered, sorted and paged.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/tasks", operation_id = "list_tasks",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ListParams,
        ("label" = Option<Vec<String>>, Query, style = Form, explode, example = json!(["Errands"]),
            description = "Only tasks that carry this label (by name, ignoring case); repeat it for tasks that carry every one"),
        ("If-None-Match" = Option<String>, Header,
            description = "The `ETag` of an earlier answer to the same query: 304 while nothing of the caller's changed"),
    ),
    responses(
        (status = 200, description = "One page of tasks", body = [TaskBody], headers(
            ("X-Total-Count" = u64, description = "Tasks matching the filters, before paging"),
            ("Link" = String, description = "`<…>; rel=\"next\"` when more tasks remain"),
            ("ETag" = String, description = "The listing's validator (none with `overdue`, whose answer changes with the clock)"),
        )),
        (status = 304, description = "`If-None-Match` names the validator: nothing of the caller's changed since",
            headers(("ETag" = String, description = "The listing's validator"))),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 422, description = "A query parameter has a bad value"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn list(tasks: OwnTasks, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = tasks.accept(list_query(&req)).await?;
    if !has_validator(&query) {
        let page = tasks.list(&query).await?;
        return page_response(&req, &query, page);
    }
    if asks_if_changed(&req) {
        let tag = listing_tag(tasks.latest_change().await?, &req);
        if not_modified(&req, &tag) {
            return Ok(unchanged(&tag));
        }
    }
    let (page, latest) = tasks.list_with_latest(&query).await?;
    let tag = listing_tag(latest, &req);
    Ok(tagged(page_response(&req, &query, page)?, &tag))
}

/// Creates a task; with `Idempotency-Key`, at most once per key.
#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/tasks", operation_id = "create_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Repeats with the same key and body within 24 hours replay the first answer"),
    ),
    request_body = TaskInput,
    responses(
        (status = 201, description = "Created", body = TaskBody, headers(
            ("Location" = String, description = "The task's URL"),
            ("ETag" = String, description = "`\"<version>\"`"),
        )),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 409, description = "`IDEMPOTENCY_IN_PROGRESS`: a request with this key is still running"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule, a malformed `Idempotency-Key`, or `IDEMPOTENCY_KEY_REUSED`"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn create(
    tasks: OwnTasks,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let parsed = json_body(&req, &body)
        .and_then(full_task)
        .and_then(|new| Ok((new, idempotency_key(&req)?)));
    let (new, key) = tasks.accept(parsed).await?;
    let work = async { created(tasks.create(new).await?) };
    let stored = match key {
        Some(key) => {
            // A stored answer is replayed without running `work`, so the
            // bearer is checked first.
            tasks.ensure_live().await?;
            state
                .idempotency
                .run(tasks.owner(), &key, &fingerprint(&body), work)
                .await?
        }
        None => work.await?,
    };
    Ok(replay(stored))
}

/// Up to 100 writes of the caller's tasks in one request: every op or
/// none (`atomic`, the default), or each on its own.
#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/tasks/batch", operation_id = "batch_tasks",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Replays the first answer for 24 hours when the same batch is sent again"),
    ),
    request_body(content = ref("#/components/schemas/TaskBatch"), content_type = "application/json"),
    responses(
        (status = 200, description = "One result per op; `applied` is false when an atomic batch applied nothing", body = BatchAnswer),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 409, description = "`IDEMPOTENCY_IN_PROGRESS`: a request with this key is still running"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`atomic` or `ops` (1 to 100) is wrong, a malformed `Idempotency-Key`, or `IDEMPOTENCY_KEY_REUSED`"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn batch_tasks(
    tasks: OwnTasks,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let parsed = json_body(&req, &body)
        .and_then(batch::parse)
        .and_then(|batch| Ok((batch, idempotency_key(&req)?)));
    let (parsed, key) = tasks.accept(parsed).await?;
    let work = async { answered(&batch::run(&tasks, parsed).await?) };
    let stored = match key {
        Some(key) => {
            tasks.ensure_live().await?;
            state
                .idempotency
                .run(tasks.owner(), &key, &fingerprint(&body), work)
                .await?
        }
        None => work.await?,
    };
    Ok(replay(stored))
}

/// One task.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "get_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
    ),
    responses(
        (status = 200, description = "The task", body = TaskBody,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn get(task: OneTask) -> Result<HttpResponse, ApiError> {
    let found = task.tasks.get(task.id).await?;
    Ok(task_response(StatusCode::OK, found))
}

/// Replaces a task's title and description (`completed` changes only when given).
#[utoipa::path(
    put, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "replace_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, example = "\"3\"",
            description = "`\"<version>\"` or `*`: change only that version; any other value names no version, so 412 as for a stale one"),
    ),
    request_body = TaskInput,
    responses(
        (status = 200, description = "The changed task", body = TaskBody,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn replace(
    task: OneTask,
    req: HttpRequest,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    write_changes(task, &req, if_match, &body, replacement).await
}

/// Changes the fields given (`{}` changes nothing).
#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "update_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, example = "\"3\"",
            description = "`\"<version>\"` or `*`: change only that version; any other value names no version, so 412 as for a stale one"),
    ),
    request_body = TaskPatch,
    responses(
        (status = 200, description = "The changed task", body = TaskBody,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn update(
    task: OneTask,
    req: HttpRequest,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    write_changes(task, &req, if_match, &body, patch_changes).await
}

/// Sets `completed`, or toggles it when the body is empty or `{}`.
#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}/tasks/{task_id}/complete", operation_id = "complete_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, example = "\"3\"",
            description = "`\"<version>\"` or `*`: change only that version; any other value names no version, so 412 as for a stale one"),
    ),
    request_body(content = ref("#/components/schemas/TaskCompletion"), content_type = "application/json",
        description = "Optional: no body (or `{}`) toggles"),
    responses(
        (status = 200, description = "The changed task", body = TaskBody,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn complete(
    task: OneTask,
    req: HttpRequest,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let OneTask { tasks, id } = task;
    let completed = tasks.accept(completion(&req, &body)).await?;
    let changed = tasks.set_completion(id, completed, if_match.0).await?;
    Ok(task_response(StatusCode::OK, changed))
}

/// Moves a task: under another parent, and after a sibling, first, or
/// where it is.
#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/tasks/{task_id}/move", operation_id = "move_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, example = "\"3\"",
            description = "`\"<version>\"` or `*`: change only that version; any other value names no version, so 412 as for a stale one"),
    ),
    request_body(content = ref("#/components/schemas/TaskMove"), content_type = "application/json"),
    responses(
        (status = 200, description = "The moved task", body = TaskBody,
            headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`parent_id` or `after` is not a task it can go under or after"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn move_task(
    task: OneTask,
    req: HttpRequest,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    write_changes(task, &req, if_match, &body, placement).await
}

/// The 200 answer of PUT, PATCH and move: `body` read as `T`, turned
/// into changes by `changes_of`, written to the task under `If-Match`.
async fn write_changes<T: DeserializeOwned>(
    task: OneTask,
    req: &HttpRequest,
    if_match: IfMatch,
    body: &[u8],
    changes_of: fn(T) -> Result<TaskChanges, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let OneTask { tasks, id } = task;
    let changes = tasks
        .accept(json_body(req, body).and_then(changes_of))
        .await?;
    let changed = tasks.update(id, changes, if_match.0).await?;
    Ok(task_response(StatusCode::OK, changed))
}

/// Deletes a task: it goes to the trash with its subtasks
/// (`…/tasks/trash`), from where it can be restored until it is purged.
#[utoipa::path(
    delete, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "delete_task",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, example = "\"3\"",
            description = "`\"<version>\"` or `*`: change only that version; any other value names no version, so 412 as for a stale one"),
    ),
    responses(
        (status = 204, description = "Deleted: in the trash with its subtasks"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn delete(task: OneTask, if_match: IfMatch) -> Result<HttpResponse, ApiError> {
    task.tasks.delete(task.id, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
