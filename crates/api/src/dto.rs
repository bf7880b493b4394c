//! Response bodies, built from domain values (never from database rows).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, HeaderValue};
use chrono::{DateTime, Utc};
use serde::Serialize;
use taskpulse_domain::task::Task;
use taskpulse_domain::user::User;
use taskpulse_domain::{SessionView, Tokens};
use uuid::Uuid;

/// A user as clients see it.
#[derive(Debug, Serialize)]
pub struct UserBody {
    id: Uuid,
    email: String,
    name: String,
    is_active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            name: user.name.as_str().to_owned(),
            is_active: user.is_active,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// The answer of register, login and refresh.
#[derive(Debug, Serialize)]
pub struct TokenBody {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    user: UserBody,
}

impl From<Tokens> for TokenBody {
    fn from(tokens: Tokens) -> Self {
        Self {
            access_token: tokens.access_token,
            token_type: "bearer",
            expires_in: tokens.expires_in,
            refresh_token: tokens.refresh_token,
            user: tokens.user.into(),
        }
    }
}

/// A live session as its user sees it.
#[derive(Debug, Serialize)]
pub struct SessionBody {
    id: Uuid,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    user_agent: Option<String>,
    ip: Option<String>,
    current: bool,
}

impl From<SessionView> for SessionBody {
    fn from(view: SessionView) -> Self {
        let session = view.session;
        Self {
            id: session.id.as_uuid(),
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            user_agent: session.client.user_agent,
            ip: session.client.ip,
            current: view.current,
        }
    }
}

/// A task as clients see it.
#[derive(Debug, Serialize)]
pub struct TaskBody {
    id: i64,
    user_id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Task> for TaskBody {
    fn from(task: Task) -> Self {
        Self {
            id: task.id.get(),
            user_id: task.owner.as_uuid(),
            title: task.title,
            description: task.description,
            completed: task.completed,
            version: task.version,
            created_at: task.created_at,
            updated_at: task.updated_at,
        }
    }
}

/// The `ETag` of a task at `version`.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// A single-task answer with its `ETag`.
pub fn task_response(status: StatusCode, task: Task) -> HttpResponse {
    let tag = etag(task.version);
    HttpResponse::build(status)
        .insert_header((ETAG, tag))
        .json(TaskBody::from(task))
}
