//! `ApiError`: the contract's error answers, and the one place that maps
//! domain errors to HTTP.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use taskpulse_domain::Error;
use taskpulse_domain::access_token::{MAX_LIVE_TOKENS_PER_USER, Scope};
use taskpulse_domain::label::MAX_LABELS_PER_USER;

/// One offending field of a 422 answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"field": "title", "message": "must be 1 to 200 characters"}))]
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
    /// 400: a password-reset token that is unknown, expired or used.
    #[error("The reset link is invalid or has expired")]
    InvalidResetToken,
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
    /// 401: a sign-in challenge that is unknown, expired or used.
    #[error("The sign-in has expired; sign in again")]
    InvalidChallenge,
    /// 401: a wrong or reused second-factor code at sign-in.
    #[error("Incorrect or already used code")]
    InvalidMfaCode,
    /// 403: a wrong second-factor code from a signed-in user.
    #[error("Incorrect or already used code")]
    WrongMfaCode,
    /// 409: the second factor is on already.
    #[error("Two-factor authentication is already on")]
    MfaAlreadyEnabled,
    /// 409: the second factor is not on.
    #[error("Two-factor authentication is not on")]
    MfaNotEnabled,
    /// 409: no enrolment was started (or a newer one replaced it).
    #[error("Start two-factor enrolment first")]
    MfaEnrolmentNotStarted,
    /// 403: a personal access token without the route's scope (named), or
    /// on an account route, which no such token reaches (`None`).
    #[error("This token may not use this route")]
    InsufficientScope(Option<Scope>),
    /// 403: the account is deactivated.
    #[error("Account is disabled")]
    AccountDisabled,
    /// 403: sign-in requires a verified email and this account's is not.
    #[error("Confirm your email address first: follow the link sent to it")]
    EmailNotVerified,
    /// 400: an email-verification link that is unknown, expired or used.
    #[error("The verification link is invalid or has expired")]
    InvalidVerificationToken,
    /// 404: unknown route or resource, or another user's.
    #[error("Not found")]
    NotFound,
    /// 405: known path, wrong method.
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// 409: the email is registered already.
    #[error("Email already registered")]
    EmailTaken,
    /// 409: another of the user's labels has that name.
    #[error("A label with this name exists already")]
    LabelTaken,
    /// 409: a request with the same `Idempotency-Key` is still running.
    #[error("A request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    /// 422: the `Idempotency-Key` was used with another body.
    #[error("This Idempotency-Key was used with a different request body")]
    IdempotencyKeyReused,
    /// 410: a sync cursor older than the change log's retention.
    #[error("This sync cursor has expired: start again without a cursor")]
    SyncCursorExpired,
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

/// Every `code` an error answer can carry.
pub const CODES: [&str; 28] = [
    "BAD_REQUEST",
    "INVALID_RESET_TOKEN",
    "UNAUTHORIZED",
    "INVALID_CREDENTIALS",
    "INVALID_MFA_CHALLENGE",
    "INVALID_MFA_CODE",
    "MFA_ALREADY_ENABLED",
    "MFA_NOT_ENABLED",
    "MFA_ENROLMENT_NOT_STARTED",
    "ACCOUNT_LOCKED",
    "RATE_LIMITED",
    "ACCOUNT_DISABLED",
    "INSUFFICIENT_SCOPE",
    "EMAIL_NOT_VERIFIED",
    "INVALID_VERIFICATION_TOKEN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "EMAIL_TAKEN",
    "LABEL_TAKEN",
    "IDEMPOTENCY_IN_PROGRESS",
    "IDEMPOTENCY_KEY_REUSED",
    "PRECONDITION_FAILED",
    "SYNC_CURSOR_EXPIRED",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "VALIDATION_ERROR",
    "SERVICE_UNAVAILABLE",
    "INTERNAL",
];

fn code_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(CODES))
        .build()
}

/// The body of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorBody, example = json!({
    "detail": "Not found", "code": "NOT_FOUND", "request_id": "3f2b6c1e-8d4a-4f7a-9c0e-5b1d2a3c4e5f"
}))]
pub(crate) struct Body<'a> {
    /// What went wrong, for people.
    detail: String,
    /// What went wrong, for programs.
    #[schema(schema_with = code_schema)]
    code: &'static str,
    /// The answer's `X-Request-Id`, to match a report with the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = true)]
    request_id: Option<&'a str>,
    /// The offending fields (`VALIDATION_ERROR` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<FieldError>)]
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
            Self::InvalidResetToken => "INVALID_RESET_TOKEN",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidCredentials | Self::WrongPassword => "INVALID_CREDENTIALS",
            Self::AccountLocked(_) => "ACCOUNT_LOCKED",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::InvalidChallenge => "INVALID_MFA_CHALLENGE",
            Self::InvalidMfaCode | Self::WrongMfaCode => "INVALID_MFA_CODE",
            Self::MfaAlreadyEnabled => "MFA_ALREADY_ENABLED",
            Self::MfaNotEnabled => "MFA_NOT_ENABLED",
            Self::MfaEnrolmentNotStarted => "MFA_ENROLMENT_NOT_STARTED",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::InsufficientScope(_) => "INSUFFICIENT_SCOPE",
            Self::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Self::InvalidVerificationToken => "INVALID_VERIFICATION_TOKEN",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::LabelTaken => "LABEL_TAKEN",
            Self::IdempotencyInProgress => "IDEMPOTENCY_IN_PROGRESS",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::PreconditionFailed => "PRECONDITION_FAILED",
            Self::SyncCursorExpired => "SYNC_CURSOR_EXPIRED",
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
            Self::InsufficientScope(scope) => {
                let challenge = match scope {
                    Some(scope) => format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
                    None => r#"Bearer error="insufficient_scope""#.to_owned(),
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
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
            Self::BadRequest(_) | Self::InvalidResetToken | Self::InvalidVerificationToken => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthorized
            | Self::InvalidCredentials
            | Self::InvalidChallenge
            | Self::InvalidMfaCode => StatusCode::UNAUTHORIZED,
            Self::AccountDisabled
            | Self::InsufficientScope(_)
            | Self::EmailNotVerified
            | Self::WrongPassword
            | Self::WrongMfaCode => StatusCode::FORBIDDEN,
            Self::AccountLocked(_) | Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken
            | Self::LabelTaken
            | Self::IdempotencyInProgress
            | Self::MfaAlreadyEnabled
            | Self::MfaNotEnabled
            | Self::MfaEnrolmentNotStarted => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::SyncCursorExpired => StatusCode::GONE,
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
            Error::InvalidResetToken => Self::InvalidResetToken,
            Error::AccountLocked { retry_after_secs } => Self::AccountLocked(retry_after_secs),
            Error::ConfirmationRequired => {
                Self::invalid("current_password", "required to change the email")
            }
            Error::AccountDisabled => Self::AccountDisabled,
            Error::EmailNotVerified => Self::EmailNotVerified,
            Error::InvalidVerificationToken => Self::InvalidVerificationToken,
            Error::InvalidChallenge => Self::InvalidChallenge,
            Error::InvalidSecondFactor => Self::InvalidMfaCode,
            Error::WrongSecondFactor => Self::WrongMfaCode,
            Error::SecondFactorEnabled => Self::MfaAlreadyEnabled,
            Error::SecondFactorNotEnabled => Self::MfaNotEnabled,
            Error::NoPendingEnrolment => Self::MfaEnrolmentNotStarted,
            Error::Unauthorized(reason) => {
                tracing::debug!(%reason, "access token refused");
                Self::Unauthorized
            }
            Error::PreconditionFailed => Self::PreconditionFailed,
            Error::InvalidCursor => Self::invalid("cursor", "not a cursor this user was given"),
            Error::CursorExpired => Self::SyncCursorExpired,
            Error::Placement(refusal) => Self::invalid(refusal.field(), refusal),
            Error::LabelTaken => Self::LabelTaken,
            Error::TooManyLabels { field } => Self::invalid(
                field,
                format!("at most {MAX_LABELS_PER_USER} labels per user"),
            ),
            Error::TooManyAccessTokens => Self::invalid(
                "name",
                format!("at most {MAX_LIVE_TOKENS_PER_USER} live tokens per user"),
            ),
            Error::InsufficientScope(scope) => Self::InsufficientScope(scope),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented() {
        let all = [
            ApiError::BadRequest(String::new()),
            ApiError::InvalidResetToken,
            ApiError::Unauthorized,
            ApiError::InvalidCredentials,
            ApiError::WrongPassword,
            ApiError::AccountLocked(1),
            ApiError::RateLimited(1),
            ApiError::InvalidChallenge,
            ApiError::InvalidMfaCode,
            ApiError::WrongMfaCode,
            ApiError::MfaAlreadyEnabled,
            ApiError::MfaNotEnabled,
            ApiError::MfaEnrolmentNotStarted,
            ApiError::AccountDisabled,
            ApiError::InsufficientScope(None),
            ApiError::EmailNotVerified,
            ApiError::InvalidVerificationToken,
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::EmailTaken,
            ApiError::LabelTaken,
            ApiError::IdempotencyInProgress,
            ApiError::IdempotencyKeyReused,
            ApiError::PreconditionFailed,
            ApiError::SyncCursorExpired,
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::Validation(Vec::new()),
            ApiError::Unavailable,
            ApiError::Internal,
        ];
        for err in &all {
            // No wildcard: a new variant must be added to `all` (and its
            // code to `CODES`).
            match err {
                ApiError::BadRequest(_)
                | ApiError::InvalidResetToken
                | ApiError::Unauthorized
                | ApiError::InvalidCredentials
                | ApiError::WrongPassword
                | ApiError::AccountLocked(_)
                | ApiError::RateLimited(_)
                | ApiError::InvalidChallenge
                | ApiError::InvalidMfaCode
                | ApiError::WrongMfaCode
                | ApiError::MfaAlreadyEnabled
                | ApiError::MfaNotEnabled
                | ApiError::MfaEnrolmentNotStarted
                | ApiError::AccountDisabled
                | ApiError::InsufficientScope(_)
                | ApiError::EmailNotVerified
                | ApiError::InvalidVerificationToken
                | ApiError::NotFound
                | ApiError::MethodNotAllowed
                | ApiError::EmailTaken
                | ApiError::LabelTaken
                | ApiError::IdempotencyInProgress
                | ApiError::IdempotencyKeyReused
                | ApiError::PreconditionFailed
                | ApiError::SyncCursorExpired
                | ApiError::PayloadTooLarge
                | ApiError::UnsupportedMediaType
                | ApiError::Validation(_)
                | ApiError::Unavailable
                | ApiError::Internal => {}
            }
            assert!(
                CODES.contains(&err.code()),
                "{} is not in CODES",
                err.code()
            );
        }
    }
}
