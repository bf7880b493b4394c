//! `/api/v1/users/{user_id}/tasks` and its compatibility paths. Handlers
//! parse, call [`TaskService`](taskpulse_domain::TaskService), and answer.

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderName, HeaderValue, LINK};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use taskpulse_domain::idempotency::{IdempotencyKey, IdempotencyKeyError, StoredResponse};
use taskpulse_domain::task::{
    Description, NewTask, PageLimit, Sort, Task, TaskChanges, TaskQuery, Title,
};

use crate::dto::{TaskBody, page_body, task_response};
use crate::error::ApiError;
use crate::extract::{
    AuthBearer, Fields, IfMatch, TaskPath, json_body, nullable, optional_json_body,
};
use crate::list_cache::{CachedPage, ListKey};
use crate::routes::Endpoint;
use crate::startup::AppState;

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
        Endpoint::of::<__path_list>(|| web::route().to(list)),
        Endpoint::of::<__path_create>(|| web::route().to(create)),
        Endpoint::of::<__path_get>(|| web::route().to(get)),
        Endpoint::of::<__path_replace>(|| web::route().to(replace)),
        Endpoint::of::<__path_update>(|| web::route().to(update)),
        Endpoint::of::<__path_delete>(|| web::route().to(delete)),
        Endpoint::of::<__path_complete>(|| web::route().to(complete)),
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

const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The listing's query parameters, as sent (each parsed by hand, so that
/// a bad value is a 422 naming it).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Only completed (`true`) or open (`false`) tasks.
    #[param(value_type = Option<bool>)]
    completed: Option<String>,
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
const SORTS: [&str; 8] = [
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "title",
    "-title",
    "id",
    "-id",
];

fn sort_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(SORTS))
        .default(Some("-created_at".into()))
        .build()
}

fn list_query(req: &HttpRequest) -> Result<TaskQuery, ApiError> {
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
    if let Some(raw) = params.sort.as_deref() {
        query.sort = fields
            .parse("sort", raw, str::parse::<Sort>)
            .unwrap_or_default();
    }
    if let Some(raw) = params.limit.as_deref() {
        let limit = fields.parse("limit", raw, |s| {
            s.parse::<u32>()
                .map_err(|_| taskpulse_domain::task::PageLimitError)
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

/// `Link: <…>; rel="next"` for the page after this one: the same path and
/// parameters with the offset moved on.
fn next_link(req: &HttpRequest, query: &TaskQuery) -> Option<HeaderValue> {
    let next_offset = query.offset + u64::from(query.limit.get());
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(key, _)| key != "offset");
    pairs.push(("offset".into(), next_offset.to_string()));
    let query_string = serde_urlencoded::to_string(&pairs).ok()?;
    HeaderValue::from_str(&format!("<{}?{}>; rel=\"next\"", req.path(), query_string)).ok()
}

/// The caller's tasks, filtered, sorted and paged.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/tasks", operation_id = "list_tasks",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ListParams,
    ),
    responses(
        (status = 200, description = "One page of tasks", body = [TaskBody], headers(
            ("X-Total-Count" = u64, description = "Tasks matching the filters, before paging"),
            ("Link" = String, description = "`<…>; rel=\"next\"` when more tasks remain"),
        )),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 422, description = "A query parameter has a bad value"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn list(
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    let query = bearer.vouched(&state.tasks, list_query(&req)).await?;
    let key = ListKey {
        owner: path.owner,
        query,
    };
    let seen = state.lists.seen(path.owner);
    if let Some(kept) = state.lists.get(&key)
        && state.tasks.stamp(&bearer.0, path.owner).await? == Some(kept.stamp)
    {
        return Ok(page_response(
            &req, &key.query, kept.total, kept.shown, kept.body,
        ));
    }
    let page = state.tasks.list(&bearer.0, path.owner, &key.query).await?;
    let shown = page.tasks.len() as u64;
    let body = page_body(&page.tasks).map_err(|_| ApiError::Internal)?;
    let response = page_response(&req, &key.query, page.total, shown, body.clone());
    match page.stamp {
        Some(stamp) => state.lists.put(
            key,
            CachedPage {
                stamp,
                total: page.total,
                tasks: page.tasks,
                body,
            },
            seen,
        ),
        // No stamp (SQLite, or an owner past the stamp's limit): a page
        // kept earlier, even one set aside, would only take room.
        None => state.lists.remove(&key),
    }
    Ok(response)
}

/// A listing's answer: the page of `shown` tasks, `X-Total-Count`, and
/// `Link` when more tasks remain.
fn page_response(
    req: &HttpRequest,
    query: &TaskQuery,
    total: u64,
    shown: u64,
    body: Bytes,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((X_TOTAL_COUNT, total));
    if query.offset.saturating_add(shown) < total
        && let Some(link) = next_link(req, query)
    {
        response.insert_header((LINK, link));
    }
    response.content_type(ContentType::json()).body(body)
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
fn full_task(input: TaskInput) -> Result<NewTask, ApiError> {
    let mut fields = Fields::default();
    let title = fields.required("title", input.title.flatten().as_deref(), Title::parse);
    let description = description_field(&mut fields, input.description.flatten().as_deref());
    let completed = completed_field(&mut fields, input.completed);
    fields.finish()?;
    let title = title.ok_or(ApiError::Internal)?;
    Ok(NewTask {
        title,
        description,
        completed: completed.unwrap_or(false),
    })
}

/// The changes of a PUT: title and description always, `completed` only
/// when given.
fn replacement(input: TaskInput) -> Result<TaskChanges, ApiError> {
    let completed_given = matches!(input.completed, Some(Some(_)));
    let new = full_task(input)?;
    Ok(TaskChanges {
        title: Some(new.title),
        description: Some(new.description),
        completed: completed_given.then_some(new.completed),
    })
}

/// The state `…/complete` sets, or `None` to toggle.
fn completion(req: &HttpRequest, body: &[u8]) -> Result<Option<bool>, ApiError> {
    let body: Option<CompletionBody> = optional_json_body(req, body)?;
    let mut fields = Fields::default();
    let completed = body.and_then(|b| completed_field(&mut fields, b.completed));
    fields.finish()?;
    Ok(completed)
}

fn patch_changes(input: TaskPatch) -> Result<TaskChanges, ApiError> {
    let mut fields = Fields::default();
    let title = match input.title {
        None => None,
        Some(raw) => fields.required("title", raw.as_deref(), Title::parse),
    };
    let description = input
        .description
        .map(|raw| description_field(&mut fields, raw.as_deref()));
    let completed = completed_field(&mut fields, input.completed);
    fields.finish()?;
    Ok(TaskChanges {
        title,
        description,
        completed,
    })
}

fn location(owner: taskpulse_domain::user::UserId, id: taskpulse_domain::task::TaskId) -> String {
    format!("/api/v1/users/{owner}/tasks/{id}")
}

/// The 201 answer of a create, in the stored form an idempotent repeat
/// replays byte for byte.
fn created(task: Task) -> Result<StoredResponse, taskpulse_domain::Error> {
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("etag".to_owned(), format!("\"{}\"", task.version)),
        ("location".to_owned(), location(task.owner, task.id)),
    ];
    let body =
        serde_json::to_vec(&TaskBody::from(task)).map_err(taskpulse_domain::Error::internal)?;
    Ok(StoredResponse {
        status: StatusCode::CREATED.as_u16(),
        headers,
        body,
    })
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    let mut response = HttpResponse::build(status);
    for (name, value) in stored.headers {
        response.insert_header((name, value));
    }
    response.body(stored.body)
}

/// The `Idempotency-Key` header, if sent.
fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
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
fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a task; with `Idempotency-Key`, at most once per key.
#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/tasks", operation_id = "create_task",
    security(("bearer" = []), ("oauth2" = [])),
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
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    // Pages kept for the owner are set aside when this ends (see `ListCache`).
    let _writing = state.lists.writing(path.owner);
    let parsed = json_body(&req, &body)
        .and_then(full_task)
        .and_then(|new| Ok((new, idempotency_key(&req)?)));
    let (new, key) = bearer.vouched(&state.tasks, parsed).await?;
    let (actor, owner) = (bearer.0, path.owner);
    let work = async { created(state.tasks.create(&actor, owner, new).await?) };
    let stored = match key {
        Some(key) => {
            // A stored answer is replayed without running `work`, so the
            // bearer is confirmed first.
            state.tasks.confirm(&actor).await?;
            state
                .idempotency
                .run(actor.user_id, &key, &fingerprint(&body), work)
                .await?
        }
        None => work.await?,
    };
    Ok(replay(stored))
}

/// One task.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "get_task",
    security(("bearer" = []), ("oauth2" = [])),
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
async fn get(
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    let task = state
        .tasks
        .get(&bearer.0, path.owner, path.task_id()?)
        .await?;
    Ok(task_response(StatusCode::OK, task))
}

/// Replaces a task's title and description (`completed` changes only when given).
#[utoipa::path(
    put, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "replace_task",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|"[1-9][0-9]*")$"#,
            description = "`\"<version>\"` or `*`: change only that version (412 otherwise)"),
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
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    // Pages kept for the owner are set aside, or patched, when this ends (see `ListCache`).
    let writing = state.lists.writing(path.owner);
    let changes = bearer
        .vouched(&state.tasks, json_body(&req, &body).and_then(replacement))
        .await?;
    let changed = state
        .tasks
        .update(&bearer.0, path.owner, path.task_id()?, changes, if_match.0)
        .await?;
    writing.changed(&changed);
    Ok(task_response(StatusCode::OK, changed.task))
}

/// Changes the fields given (`{}` changes nothing).
#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "update_task",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|"[1-9][0-9]*")$"#,
            description = "`\"<version>\"` or `*`: change only that version (412 otherwise)"),
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
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    // Pages kept for the owner are set aside, or patched, when this ends (see `ListCache`).
    let writing = state.lists.writing(path.owner);
    let changes = bearer
        .vouched(&state.tasks, json_body(&req, &body).and_then(patch_changes))
        .await?;
    let changed = state
        .tasks
        .update(&bearer.0, path.owner, path.task_id()?, changes, if_match.0)
        .await?;
    writing.changed(&changed);
    Ok(task_response(StatusCode::OK, changed.task))
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

/// Sets `completed`, or toggles it when the body is empty or `{}`.
#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}/tasks/{task_id}/complete", operation_id = "complete_task",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|"[1-9][0-9]*")$"#,
            description = "`\"<version>\"` or `*`: change only that version (412 otherwise)"),
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
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    // Pages kept for the owner are set aside, or patched, when this ends (see `ListCache`).
    let writing = state.lists.writing(path.owner);
    let completed = bearer
        .vouched(&state.tasks, completion(&req, &body))
        .await?;
    let changed = state
        .tasks
        .set_completion(
            &bearer.0,
            path.owner,
            path.task_id()?,
            completed,
            if_match.0,
        )
        .await?;
    writing.changed(&changed);
    Ok(task_response(StatusCode::OK, changed.task))
}

/// Deletes a task.
#[utoipa::path(
    delete, path = "/api/v1/users/{user_id}/tasks/{task_id}", operation_id = "delete_task",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("task_id" = i64, Path, minimum = 1, description = "The task id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|"[1-9][0-9]*")$"#,
            description = "`\"<version>\"` or `*`: change only that version (412 otherwise)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such task of the caller's"),
        (status = 412, description = "`If-Match` names another version; nothing changed"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn delete(
    bearer: AuthBearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &bearer, &state.tasks).await?;
    // Pages kept for the owner are set aside when this ends (see `ListCache`).
    let _writing = state.lists.writing(path.owner);
    state
        .tasks
        .delete(&bearer.0, path.owner, path.task_id()?, if_match.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
