//! Response bodies, built from domain values (never from database rows).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, HeaderValue};
use actix_web::web::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use taskpulse_domain::label::Label;
use taskpulse_domain::security_log::RecordedEvent;
use taskpulse_domain::task::{Due, Task, TrashedTask};
use taskpulse_domain::user::User;
use taskpulse_domain::{SecondFactorStatus, SessionView, SignIn, Tokens};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rfc3339::Rfc3339;

/// A user as clients see it (never the password or its hash).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserBody {
    #[schema(example = "2c1f4f7e-9a51-4c57-8d7e-3a1c2b9f0d11")]
    id: Uuid,
    #[schema(format = Email, example = "ada@example.com")]
    email: String,
    #[schema(example = "Ada")]
    name: String,
    is_active: bool,
    /// Whether a link sent to `email` was followed.
    email_verified: bool,
    #[schema(example = "2026-11-22T10:00:00Z")]
    created_at: DateTime<Utc>,
    #[schema(example = "2026-11-22T10:00:00Z")]
    updated_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            name: user.name.as_str().to_owned(),
            is_active: user.is_active,
            email_verified: user.email_verified,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// The answer of register, login and refresh.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TokenResponse)]
pub struct TokenBody {
    /// A JWT (HS256) to send as `Authorization: Bearer <access_token>`.
    #[schema(example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.signature")]
    access_token: String,
    /// Always `bearer`.
    #[schema(value_type = String, pattern = "^bearer$", example = "bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 86400)]
    expires_in: i64,
    /// An opaque token for `/api/v1/auth/refresh` and `/api/v1/auth/logout`.
    #[schema(example = "q7Yc3mJ0oV9bS2wXxR4tLkA1pN8eZ6uH")]
    refresh_token: String,
    /// When the session ends at the latest (`auth.session_max_lifetime_secs`
    /// after the login or registration that started it): no refresh goes
    /// past it, and the client must sign in again then.
    #[serde(serialize_with = "rfc3339")]
    session_ends_at: DateTime<Utc>,
    user: UserBody,
}

impl From<Tokens> for TokenBody {
    fn from(tokens: Tokens) -> Self {
        Self {
            access_token: tokens.access_token,
            token_type: "bearer",
            expires_in: tokens.expires_in,
            refresh_token: tokens.refresh_token,
            session_ends_at: tokens.session_ends_at,
            user: tokens.user.into(),
        }
    }
}

/// The answer of a right password when the account has a second factor:
/// finish the sign-in at `/api/v1/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MfaChallengeResponse)]
pub struct MfaChallengeBody {
    /// Always `true`: no tokens yet.
    #[schema(value_type = bool, example = true)]
    mfa_required: bool,
    /// Single-use; send it with a code to `/api/v1/auth/login/mfa`.
    #[schema(example = "Vv1m3Hc0q8JtZrE2bYx9sK4dWnA6uP7gLfT5oQiR0jM")]
    challenge: String,
    /// When the challenge stops working (five minutes after the login).
    #[serde(serialize_with = "rfc3339")]
    expires_at: DateTime<Utc>,
}

/// The answer of a login: tokens, or a second-factor challenge.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
// Not `LoginResponse`: generated TypeScript clients give that name to the
// login operation's answer.
#[schema(as = LoginResult)]
pub enum LoginBody {
    /// Signed in.
    Tokens(TokenBody),
    /// The account has a second factor.
    MfaRequired(MfaChallengeBody),
}

impl From<SignIn> for LoginBody {
    fn from(sign_in: SignIn) -> Self {
        match sign_in {
            SignIn::Complete(tokens) => Self::Tokens(tokens.into()),
            SignIn::SecondFactorRequired {
                challenge,
                expires_at,
            } => Self::MfaRequired(MfaChallengeBody {
                mfa_required: true,
                challenge,
                expires_at,
            }),
        }
    }
}

/// The signed-in user's second factors.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MfaStatus)]
pub struct MfaStatusBody {
    /// Whether sign-in asks for a TOTP code.
    totp_enabled: bool,
    /// Recovery codes not used yet (0 while TOTP is off).
    #[schema(minimum = 0, maximum = 10, example = 10)]
    recovery_codes_left: usize,
}

impl From<SecondFactorStatus> for MfaStatusBody {
    fn from(status: SecondFactorStatus) -> Self {
        Self {
            totp_enabled: status.totp_enabled,
            recovery_codes_left: status.recovery_codes_left,
        }
    }
}

/// A live session as its user sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionBody {
    id: Uuid,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    /// The `User-Agent` of the request that started the session.
    #[schema(example = "Mozilla/5.0")]
    user_agent: Option<String>,
    /// The client address that started the session.
    #[schema(example = "203.0.113.7")]
    ip: Option<String>,
    /// Whether the caller's access token belongs to this session.
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

/// One event of the caller's security log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityEvent)]
pub struct SecurityEventBody {
    /// Grows with every event; the cursor of the listing.
    #[schema(minimum = 1, example = 42)]
    id: i64,
    /// What happened.
    #[serde(rename = "type")]
    #[schema(example = "login_succeeded", value_type = String, pattern = "^[a-z_]+$")]
    kind: &'static str,
    #[serde(serialize_with = "rfc3339")]
    at: DateTime<Utc>,
    /// The session it happened in or to (the one it started, for a
    /// sign-in); `null` when there is none.
    session_id: Option<Uuid>,
    /// The client address of the request.
    #[schema(example = "203.0.113.7")]
    ip: Option<String>,
    /// The `User-Agent` of the request.
    #[schema(example = "Mozilla/5.0")]
    user_agent: Option<String>,
    /// The request's `X-Request-Id`, to find it in the server's logs.
    request_id: Option<String>,
}

impl From<RecordedEvent> for SecurityEventBody {
    fn from(recorded: RecordedEvent) -> Self {
        let event = recorded.event;
        Self {
            id: recorded.id,
            kind: event.kind.as_str(),
            at: event.at,
            session_id: event.session_id.map(|id| id.as_uuid()),
            ip: event.client.ip,
            user_agent: event.client.user_agent,
            request_id: event.client.request_id,
        }
    }
}

/// A page of the caller's security events, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityEventPage)]
pub struct SecurityEventsBody {
    events: Vec<SecurityEventBody>,
    /// The `before` of the next page; `null` on the last one.
    next_before: Option<i64>,
}

impl SecurityEventsBody {
    /// The page of `events`, asked for `limit` at most: a full page may
    /// have a next one.
    pub fn page(events: Vec<RecordedEvent>, limit: u32) -> Self {
        let full = usize::try_from(limit).is_ok_and(|limit| events.len() >= limit);
        let next_before = events.last().filter(|_| full).map(|last| last.id);
        Self {
            events: events.into_iter().map(SecurityEventBody::from).collect(),
            next_before,
        }
    }
}

/// A task as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Task)]
pub struct TaskBody {
    #[schema(minimum = 1, example = 17)]
    id: i64,
    user_id: Uuid,
    #[schema(min_length = 1, max_length = 200, example = "Write report")]
    title: String,
    #[schema(max_length = 1000, example = "Quarterly numbers")]
    description: Option<String>,
    completed: bool,
    /// When the task was completed; `null` while it is open.
    #[serde(serialize_with = "rfc3339_or_null")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-11-22T10:00:00Z")]
    completed_at: Option<DateTime<Utc>>,
    /// How urgent it is: 0 (none) to 4 (urgent).
    #[schema(minimum = 0, maximum = 4, example = 0)]
    priority: u8,
    /// Due all day on this date (`YYYY-MM-DD`); `null` unless so.
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-24")]
    due_date: Option<NaiveDate>,
    /// Due at this instant; `null` unless so.
    #[serde(serialize_with = "rfc3339_or_null")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-24T17:00:00Z")]
    due_at: Option<DateTime<Utc>>,
    /// The IANA time zone the due date is read in.
    #[schema(example = "Europe/Paris")]
    time_zone: &'static str,
    /// The task this one is a subtask of; `null` at top level.
    #[schema(minimum = 1, example = json!(null))]
    parent_id: Option<i64>,
    /// Its order among its siblings (`sort=position`): a key the server
    /// keeps, ascending, ties by id; change it with `…/move`.
    #[schema(example = 65536)]
    position: i64,
    /// The names of its labels, in their stored spelling, in the order
    /// they were given.
    #[schema(example = json!(["Errands"]))]
    labels: Vec<String>,
    /// Starts at 1 and grows by one on every change; the `ETag` is `"<version>"`.
    #[schema(minimum = 1, example = 1)]
    version: i64,
    #[serde(serialize_with = "rfc3339")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    updated_at: DateTime<Utc>,
}

/// `at` as RFC 3339 text, formatted in one piece on the stack
/// ([`Rfc3339`]): chrono's own `Serialize` goes through `collect_str`,
/// whose many small writes serde_json escapes one by one.
pub(crate) fn rfc3339<S: serde::Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(Rfc3339::of(at).as_str())
}

/// [`rfc3339`] of a time that may be absent.
pub(crate) fn rfc3339_or_null<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, serializer),
        None => serializer.serialize_none(),
    }
}

impl From<Task> for TaskBody {
    fn from(task: Task) -> Self {
        Self {
            id: task.id.get(),
            user_id: task.owner.as_uuid(),
            title: task.title,
            description: task.description,
            completed: task.completed,
            completed_at: task.completed_at,
            priority: task.priority.get(),
            due_date: match task.due {
                Some(Due::Date(date)) => Some(date),
                _ => None,
            },
            due_at: match task.due {
                Some(Due::At(at)) => Some(at),
                _ => None,
            },
            time_zone: task.time_zone.name(),
            parent_id: task.parent.map(|p| p.get()),
            position: task.position.get(),
            labels: task.labels,
            version: task.version,
            created_at: task.created_at,
            updated_at: task.updated_at,
        }
    }
}

impl From<&Task> for TaskBody {
    fn from(task: &Task) -> Self {
        Self::from(task.clone())
    }
}

/// The body of a listing's page of `tasks`.
///
/// # Errors
/// When serde_json cannot write it (it always can).
pub fn page_body(tasks: Vec<Task>) -> serde_json::Result<Bytes> {
    // Sized for a typical task, so that the buffer seldom grows (each
    // growth copies what is written so far).
    let mut body = Vec::with_capacity(2 + tasks.len() * TASK_JSON_BYTES);
    let tasks: Vec<TaskBody> = tasks.into_iter().map(TaskBody::from).collect();
    serde_json::to_writer(&mut body, &tasks)?;
    Ok(Bytes::from(body))
}

/// A task in the trash as clients see it: the task as it was deleted, and
/// when.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TrashedTask)]
pub struct TrashedTaskBody {
    #[serde(flatten)]
    task: TaskBody,
    /// When it was deleted.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-07T10:00:00Z")]
    deleted_at: DateTime<Utc>,
}

/// A page of the trash as a JSON array.
///
/// # Errors
/// The serializer's error (it has none for these types in practice).
pub fn trash_body(tasks: Vec<TrashedTask>) -> serde_json::Result<Bytes> {
    let mut body = Vec::with_capacity(2 + tasks.len() * TASK_JSON_BYTES);
    let tasks: Vec<TrashedTaskBody> = tasks
        .into_iter()
        .map(|trashed| TrashedTaskBody {
            task: TaskBody::from(trashed.task),
            deleted_at: trashed.deleted_at,
        })
        .collect();
    serde_json::to_writer(&mut body, &tasks)?;
    Ok(Bytes::from(body))
}

/// About how long one task's JSON is, with a short title and no
/// description.
pub(crate) const TASK_JSON_BYTES: usize = 512;

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

/// A label as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Label)]
pub struct LabelBody {
    #[schema(minimum = 1, example = 3)]
    id: i64,
    user_id: Uuid,
    /// The name in its stored spelling.
    #[schema(min_length = 1, max_length = 50, example = "Errands")]
    name: String,
    /// `#rrggbb`, or `null`.
    #[schema(example = "#2a9d8f")]
    color: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: DateTime<Utc>,
}

impl From<Label> for LabelBody {
    fn from(label: Label) -> Self {
        Self {
            id: label.id.get(),
            user_id: label.owner.as_uuid(),
            name: label.name,
            color: label.color.map(|c| c.as_str().to_owned()),
            created_at: label.created_at,
            updated_at: label.updated_at,
        }
    }
}

/// `GET /`: what this service is and where its documentation lives.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ServiceInfo)]
pub struct ServiceInfoBody {
    #[schema(example = "taskpulse")]
    name: &'static str,
    #[schema(example = "0.1.0")]
    version: &'static str,
    #[schema(example = "/docs")]
    docs: &'static str,
    #[schema(example = "/openapi.json")]
    openapi: &'static str,
}

impl ServiceInfoBody {
    /// This server's description.
    pub fn new(version: &'static str) -> Self {
        Self {
            name: "taskpulse",
            version,
            docs: "/docs",
            openapi: "/openapi.json",
        }
    }
}

/// `GET /health`: whether the server and its database answer. While the
/// database is unreachable (503) it also carries the error fields
/// `detail`, `code` (`SERVICE_UNAVAILABLE`) and `request_id`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Health)]
pub struct HealthBody {
    /// `ok` or `unavailable`.
    #[schema(value_type = String, pattern = "^(ok|unavailable)$", example = "ok")]
    status: &'static str,
    /// `ok` or `unreachable`.
    #[schema(value_type = String, pattern = "^(ok|unreachable)$", example = "ok")]
    database: &'static str,
    #[schema(example = "0.1.0")]
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false)]
    detail: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false)]
    code: Option<&'static str>,
}

impl HealthBody {
    /// The server and its database answer.
    pub fn ok(version: &'static str) -> Self {
        Self {
            status: "ok",
            database: "ok",
            version,
            detail: None,
            code: None,
        }
    }

    /// The database cannot be reached.
    pub fn unavailable(version: &'static str) -> Self {
        Self {
            status: "unavailable",
            database: "unreachable",
            version,
            detail: Some("Database unreachable"),
            code: Some("SERVICE_UNAVAILABLE"),
        }
    }
}

/// An answer that is only a message for people.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Detail)]
pub struct DetailBody {
    #[schema(
        example = "If an account has this email, a link to reset its password has been sent."
    )]
    detail: &'static str,
}

impl DetailBody {
    /// The message `detail`.
    pub fn new(detail: &'static str) -> Self {
        Self { detail }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use serde::Serialize;

    #[derive(Serialize)]
    struct At(#[serde(serialize_with = "super::rfc3339")] DateTime<Utc>);

    #[test]
    fn timestamps_serialize_as_chrono_does() {
        let second = Utc
            .with_ymd_and_hms(2026, 11, 22, 9, 5, 7)
            .single()
            .expect("a valid time");
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789, 1] {
            let at = second + chrono::Duration::nanoseconds(nanos);

            let ours = serde_json::to_string(&At(at)).expect("serialized");
            let chronos = serde_json::to_string(&at).expect("serialized");

            assert_eq!(ours, chronos);
        }
    }
}
