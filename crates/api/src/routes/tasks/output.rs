//! What the task routes answer beyond a single task: a listing's or the
//! trash's page with `X-Total-Count` and `Link`, and a create's stored 201.

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderName, HeaderValue, LINK};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use taskpulse_domain::idempotency::StoredResponse;
use taskpulse_domain::task::{PageLimit, Task, TaskId, TaskPage, TaskQuery, TrashPage, TrashQuery};
use taskpulse_domain::user::UserId;

use crate::dto::{TaskBody, page_body, trash_body};
use crate::error::ApiError;

const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// `Link: <…>; rel="next"` for the page after the one at `offset` of
/// `limit` items: the same path and parameters with the offset moved on.
fn next_link(req: &HttpRequest, offset: u64, limit: PageLimit) -> Option<HeaderValue> {
    let next_offset = offset + u64::from(limit.get());
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(key, _)| key != "offset");
    pairs.push(("offset".into(), next_offset.to_string()));
    let query_string = serde_urlencoded::to_string(&pairs).ok()?;
    HeaderValue::from_str(&format!("<{}?{}>; rel=\"next\"", req.path(), query_string)).ok()
}

/// A listing's answer: the page, `X-Total-Count`, and `Link` when more
/// tasks remain.
///
/// # Errors
/// [`ApiError::Internal`] when the page cannot be written as JSON.
pub(super) fn page_response(
    req: &HttpRequest,
    query: &TaskQuery,
    page: TaskPage,
) -> Result<HttpResponse, ApiError> {
    let shown = page.tasks.len() as u64;
    let body = page_body(page.tasks).map_err(|_| ApiError::Internal)?;
    Ok(paged(
        req,
        (query.offset, query.limit),
        shown,
        page.total,
        body,
    ))
}

/// The trash's answer: the page, `X-Total-Count`, and `Link` when more
/// deleted tasks remain.
///
/// # Errors
/// [`ApiError::Internal`] when the page cannot be written as JSON.
pub(super) fn trash_response(
    req: &HttpRequest,
    query: &TrashQuery,
    page: TrashPage,
) -> Result<HttpResponse, ApiError> {
    let shown = page.tasks.len() as u64;
    let body = trash_body(page.tasks).map_err(|_| ApiError::Internal)?;
    Ok(paged(
        req,
        (query.offset, query.limit),
        shown,
        page.total,
        body,
    ))
}

/// A JSON page of `shown` items at `(offset, limit)` out of `total`.
fn paged(
    req: &HttpRequest,
    (offset, limit): (u64, PageLimit),
    shown: u64,
    total: u64,
    body: Bytes,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((X_TOTAL_COUNT, total));
    if offset.saturating_add(shown) < total
        && let Some(link) = next_link(req, offset, limit)
    {
        response.insert_header((LINK, link));
    }
    response.content_type(ContentType::json()).body(body)
}

fn location(owner: UserId, id: TaskId) -> String {
    format!("/api/v1/users/{owner}/tasks/{id}")
}

/// The 201 answer of a create, in the stored form an idempotent repeat
/// replays byte for byte.
pub(super) fn created(task: Task) -> Result<StoredResponse, taskpulse_domain::Error> {
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

/// A batch's 200 answer, in the stored form an idempotent repeat replays.
pub(super) fn answered(
    answer: &super::BatchAnswer,
) -> Result<StoredResponse, taskpulse_domain::Error> {
    let body = serde_json::to_vec(answer).map_err(taskpulse_domain::Error::internal)?;
    Ok(StoredResponse {
        status: StatusCode::OK.as_u16(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body,
    })
}

pub(super) fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    let mut response = HttpResponse::build(status);
    for (name, value) in stored.headers {
        response.insert_header((name, value));
    }
    response.body(stored.body)
}
