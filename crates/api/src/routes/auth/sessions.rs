//! `/sessions`: listing and ending the signed-in user's sessions.

use actix_web::{HttpRequest, HttpResponse, web};
use taskpulse_domain::session::SessionId;

use super::confirmation::{PasswordBody, confirmation};
use crate::dto::SessionBody;
use crate::error::ApiError;
use crate::extract::AuthUser;
use crate::routes::{ACCOUNT, Endpoint};
use crate::state::AppState;

/// List the sessions, end the others, end one.
pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_sessions>(ACCOUNT, || web::route().to(sessions)),
        Endpoint::of::<__path_end_other_sessions>(ACCOUNT, || web::route().to(end_other_sessions)),
        Endpoint::of::<__path_end_session>(ACCOUNT, || web::route().to(end_session)),
    ]
}

/// The signed-in user's live sessions, the caller's marked `current`.
#[utoipa::path(
    get, path = "/api/v1/auth/sessions", operation_id = "list_sessions",
    responses(
        (status = 200, description = "The live sessions", body = [SessionBody]),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn sessions(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let sessions = state.auth.sessions(&user.0).await?;
    Ok(HttpResponse::Ok().json(
        sessions
            .into_iter()
            .map(SessionBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// Ends one of the signed-in user's sessions.
#[utoipa::path(
    delete, path = "/api/v1/auth/sessions/{session_id}", operation_id = "end_session",
    params(("session_id" = uuid::Uuid, Path, description = "A session id from `GET /api/v1/auth/sessions`")),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "That session has ended"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong password"),
        (status = 404, description = "No live session of the caller has this id"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`password` is missing"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn end_session(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id: SessionId = req
        .match_info()
        .get("session_id")
        .and_then(|s| s.parse().ok())
        .ok_or(ApiError::NotFound)?;
    let password = confirmation(&req, &body)?;
    state.auth.end_session(&user.0, id, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the signed-in user but the caller's.
#[utoipa::path(
    delete, path = "/api/v1/auth/sessions", operation_id = "end_other_sessions",
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Every other session has ended"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong password"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`password` is missing"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn end_other_sessions(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let password = confirmation(&req, &body)?;
    state.auth.end_other_sessions(&user.0, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}
