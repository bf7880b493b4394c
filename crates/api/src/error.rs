//! `ApiError`: the contract's error answers, and the one place that maps
//! domain errors to HTTP.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use taskpulse_domain::Error;

/// One offending field of a 422 answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name in the request.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: &str, message: impl ToString) -> Self {
        Self {
            field: field.to_owned(),
            message: message.to_string(),
        }
    }
}

/// Every error answer the API gives.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON, or not the expected shape.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid access token.
    #[error("Not authenticated")]
    Unauthorized,
    /// 401: unknown email or wrong password.
    #[error("Incorrect email or password")]
    InvalidCredentials,
    /// 403: a wrong confirmation password from a signed-in user.
    #[error("Incorrect password")]
    WrongPassword,
    /// 429: too many failed logins; retry after this many seconds.
    #[error("Too many failed logins; try again later")]
    AccountLocked(u64),
    /// 429: too many requests from one client; retry after this many seconds.
    #[error("Too many requests; try again later")]
    RateLimited(u64),
    /// 403: the account is deactivated.
    #[error("Account is disabled")]
    AccountDisabled,
    /// 404: unknown route or resource, or another user's.
    #[error("Not found")]
    NotFound,
    /// 405: known path, wrong method.
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// 409: the email is registered already.
    #[error("Email already registered")]
    EmailTaken,
    /// 409: a request with the same `Idempotency-Key` is still running.
    #[error("A request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    /// 422: the `Idempotency-Key` was used with another body.
    #[error("This Idempotency-Key was used with a different request body")]
    IdempotencyKeyReused,
    /// 412: `If-Match` names another version.
    #[error("The task has changed; fetch it again")]
    PreconditionFailed,
    /// 413: the body is over the limit.
    #[error("Request body is too large")]
    PayloadTooLarge,
    /// 415: a body that is not JSON (or a form, for login).
    #[error("Content type must be application/json")]
    UnsupportedMediaType,
    /// 422: values that break the rules.
    #[error("Request validation failed")]
    Validation(Vec<FieldError>),
    /// 503: the database cannot be reached.
    #[error("Service temporarily unavailable")]
    Unavailable,
    /// 500: a bug; the cause is logged, never sent.
    #[error("Internal server error")]
    Internal,
}

/// Seconds a client should wait after a 503.
const RETRY_AFTER_SECS: &str = "1";

#[derive(Serialize)]
struct Body<'a> {
    detail: String,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ApiError {
    /// A 422 about one field.
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The contract's `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "BAD_REQUEST",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidCredentials | Self::WrongPassword => "INVALID_CREDENTIALS",
            Self::AccountLocked(_) => "ACCOUNT_LOCKED",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::IdempotencyInProgress => "IDEMPOTENCY_IN_PROGRESS",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::PreconditionFailed => "PRECONDITION_FAILED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::Unavailable => "SERVICE_UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The error for a bare status produced outside the handlers (an
    /// unmatched method, a payload error of the framework, …).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => Self::BadRequest("Bad request".into()),
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited(1),
            s if s.is_client_error() => Self::BadRequest("Bad request".into()),
            _ => Self::Internal,
        }
    }

    /// The JSON body, with the request id when known.
    pub fn body(&self, request_id: Option<&str>) -> String {
        let errors = match self {
            Self::Validation(errors) => Some(errors.as_slice()),
            _ => None,
        };
        let body = Body {
            detail: self.to_string(),
            code: self.code(),
            request_id,
            errors,
        };
        serde_json::to_string(&body).unwrap_or_else(|_| {
            String::from(r#"{"detail":"Internal server error","code":"INTERNAL"}"#)
        })
    }

    /// The answer, with `request_id` in the body when known.
    pub fn respond(&self, request_id: Option<&str>) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(mime_json());
        match self {
            Self::Unauthorized => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::Unavailable => {
                response.insert_header((
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECS),
                ));
            }
            Self::AccountLocked(secs) | Self::RateLimited(secs) => {
                response.insert_header((header::RETRY_AFTER, *secs));
            }
            _ => {}
        }
        response.body(self.body(request_id))
    }
}

fn mime_json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::AccountDisabled | Self::WrongPassword => StatusCode::FORBIDDEN,
            Self::AccountLocked(_) | Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken | Self::IdempotencyInProgress => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.respond(None)
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::NotFound => Self::NotFound,
            Error::EmailTaken => Self::EmailTaken,
            Error::InvalidCredentials => Self::InvalidCredentials,
            Error::WrongPassword => Self::WrongPassword,
            Error::AccountLocked { retry_after_secs } => Self::AccountLocked(retry_after_secs),
            Error::ConfirmationRequired => {
                Self::invalid("current_password", "required to change the email")
            }
            Error::AccountDisabled => Self::AccountDisabled,
            Error::Unauthorized(reason) => {
                tracing::debug!(%reason, "access token refused");
                Self::Unauthorized
            }
            Error::PreconditionFailed => Self::PreconditionFailed,
            Error::IdempotencyInProgress => Self::IdempotencyInProgress,
            Error::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            Error::Unavailable => {
                tracing::warn!("database unavailable");
                Self::Unavailable
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Self::Internal
            }
        }
    }
}
