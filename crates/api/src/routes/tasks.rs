//! `/api/v1/users/{user_id}/tasks` and its compatibility paths. Handlers
//! parse, call [`TaskService`](taskpulse_domain::TaskService), and answer.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue, LINK};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use taskpulse_domain::idempotency::{IdempotencyKey, IdempotencyKeyError, StoredResponse};
use taskpulse_domain::task::{
    Description, NewTask, PageLimit, Sort, Task, TaskChanges, TaskQuery, Title,
};

use crate::dto::{TaskBody, task_response};
use crate::error::ApiError;
use crate::extract::{
    AuthUser, Fields, IfMatch, TaskPath, json_body, nullable, optional_json_body,
};
use crate::startup::AppState;

/// Every prefix tasks are served under; the first is canonical.
const PREFIXES: [&str; 4] = [
    "/api/v1/users/{user_id}/tasks",
    "/api/v1/{user_id}/tasks",
    "/api/users/{user_id}/tasks",
    "/api/{user_id}/tasks",
];

/// Registers the task routes under every prefix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for prefix in PREFIXES {
        cfg.service(web::resource(prefix).get(list).post(create))
            .service(
                web::resource(format!("{prefix}/{{task_id}}"))
                    .get(get)
                    .put(replace)
                    .patch(update)
                    .delete(delete),
            )
            .service(web::resource(format!("{prefix}/{{task_id}}/complete")).patch(complete));
    }
}

const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The listing's query parameters, as sent.
#[derive(Debug, Default, Deserialize)]
struct ListParams {
    completed: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

fn list_query(req: &HttpRequest) -> Result<TaskQuery, ApiError> {
    let params: ListParams = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| ApiError::invalid("query", "malformed query string"))?;
    let mut fields = Fields::default();
    let mut query = TaskQuery {
        search: params.q.filter(|q| !q.is_empty()),
        ..TaskQuery::default()
    };
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

async fn list(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    let query = list_query(&req)?;
    let page = state.tasks.list(user.id(), path.owner, &query).await?;
    let mut response = HttpResponse::Ok();
    response.insert_header((X_TOTAL_COUNT, page.total));
    let shown = query.offset.saturating_add(page.tasks.len() as u64);
    if shown < page.total
        && let Some(link) = next_link(&req, &query)
    {
        response.insert_header((LINK, link));
    }
    Ok(response.json(
        page.tasks
            .into_iter()
            .map(TaskBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// The body of create and replace.
#[derive(Debug, Deserialize)]
struct TaskInput {
    #[serde(default, deserialize_with = "nullable")]
    title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    completed: Option<Option<bool>>,
}

/// The body of `PATCH`: every field optional.
type TaskPatch = TaskInput;

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

async fn create(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    let new = full_task(json_body(&req, &body)?)?;
    let key = idempotency_key(&req)?;
    let (actor, owner) = (user.id(), path.owner);
    let work = async { created(state.tasks.create(actor, owner, new).await?) };
    let stored = match key {
        Some(key) => {
            state
                .idempotency
                .run(actor, &key, &fingerprint(&body), work)
                .await?
        }
        None => work.await?,
    };
    Ok(replay(stored))
}

async fn get(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    let task = state
        .tasks
        .get(user.id(), path.owner, path.task_id()?)
        .await?;
    Ok(task_response(StatusCode::OK, task))
}

async fn replace(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    let body: TaskInput = json_body(&req, &body)?;
    let input = body;
    let completed_given = matches!(input.completed, Some(Some(_)));
    let new = full_task(input)?;
    let changes = TaskChanges {
        title: Some(new.title),
        description: Some(new.description),
        completed: completed_given.then_some(new.completed),
    };
    let task = state
        .tasks
        .update(user.id(), path.owner, path.task_id()?, changes, if_match.0)
        .await?;
    Ok(task_response(StatusCode::OK, task))
}

async fn update(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    let body: TaskPatch = json_body(&req, &body)?;
    let changes = patch_changes(body)?;
    let task = state
        .tasks
        .update(user.id(), path.owner, path.task_id()?, changes, if_match.0)
        .await?;
    Ok(task_response(StatusCode::OK, task))
}

#[derive(Debug, Deserialize)]
struct CompletionBody {
    #[serde(default, deserialize_with = "nullable")]
    completed: Option<Option<bool>>,
}

async fn complete(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    let body: Option<CompletionBody> = optional_json_body(&req, &body)?;
    let mut fields = Fields::default();
    let completed = body.and_then(|b| completed_field(&mut fields, b.completed));
    fields.finish()?;
    let task = state
        .tasks
        .set_completion(
            user.id(),
            path.owner,
            path.task_id()?,
            completed,
            if_match.0,
        )
        .await?;
    Ok(task_response(StatusCode::OK, task))
}

async fn delete(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let path = TaskPath::parse(&req, &user, &state.tasks)?;
    state
        .tasks
        .delete(user.id(), path.owner, path.task_id()?, if_match.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
