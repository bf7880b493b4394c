//! The OpenAPI 3.1 document: one operation per [`Endpoint`] of the route
//! table (from its handler's `#[utoipa::path]`), the shared schemas, and the
//! security schemes. Every error answer gets the contract's error body and
//! its headers, every answer the `X-Request-Id` header, and every
//! operation the security requirement its endpoint's [`Access`] declares
//! (with its scope), here in one place rather than in each annotation.

use actix_web::ResponseError;
use taskpulse_domain::access_token::{Access, Scope};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Paths};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::{ApiError, FieldError};
use crate::routes::Endpoint;

/// The request id the examples show.
const EXAMPLE_REQUEST_ID: &str = "3f2b6c1e-8d4a-4f7a-9c0e-5b1d2a3c4e5f";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "TaskPulse API",
        description = "A multi-user task-management REST API. Sign in with \
            `POST /api/v1/auth/login` (JSON) or `POST /api/v1/auth/login/access-token` (the \
            OAuth2 password-flow form that **Authorize** above uses, your email as the \
            username) and send `Authorization: Bearer <access_token>`. Scripts may send a \
            personal access token (`tp_pat_…`, from `POST /api/v1/auth/tokens`) instead: it \
            reaches only the operations whose security requirement names one of its scopes, \
            never those that name `account`. Every error \
            answer is `{detail, code, request_id}` (plus `errors` on 422), and every answer \
            carries `X-Request-Id`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(
        crate::error::Body, FieldError,
        crate::dto::UserBody, crate::dto::TokenBody, crate::dto::LoginBody, crate::dto::MfaChallengeBody, crate::dto::MfaStatusBody, crate::dto::SessionBody, crate::dto::SecurityEventBody, crate::dto::SecurityEventsBody, crate::dto::TaskBody, crate::dto::TrashedTaskBody, crate::dto::LabelBody,
        crate::dto::ServiceInfoBody, crate::dto::HealthBody, crate::dto::DetailBody,
        crate::routes::auth::RegisterBody, crate::routes::auth::LoginJson,
        crate::routes::auth::LoginForm, crate::routes::auth::RefreshBody,
        crate::routes::auth::ProfileBody, crate::routes::auth::ChangePasswordBody,
        crate::routes::auth::PasswordBody,
        crate::routes::auth::AccessTokenInput, crate::routes::auth::AccessTokenBody,
        crate::routes::auth::CreatedAccessTokenBody,
        crate::routes::auth::MfaLoginBody, crate::routes::auth::TotpBeginBody,
        crate::routes::auth::TotpEnrolmentBody, crate::routes::auth::TotpConfirmBody,
        crate::routes::auth::RecoveryCodesBody, crate::routes::auth::TotpDisableBody,
        crate::routes::password_reset::ForgotBody, crate::routes::password_reset::ResetBody,
        crate::routes::verification::VerifyBody, crate::routes::verification::ResendBody,
        crate::routes::tasks::TaskInput, crate::routes::tasks::TaskPatch,
        crate::routes::tasks::CompletionBody, crate::routes::tasks::MoveBody,
        crate::routes::labels::LabelInput,
        crate::routes::tasks::BatchBody, crate::routes::tasks::BatchOpBody,
        crate::routes::tasks::BatchAnswer, crate::routes::tasks::OpResult,
        crate::routes::sync::ChangesBody, crate::routes::sync::DeletionBody,
        crate::routes::sync::ActivityBody, crate::routes::sync::ChangeBody,
        crate::routes::sync::Kind, crate::routes::sync::ExportBody,
        crate::routes::sync::ExportedTaskBody,
    )),
    tags(
        (name = "auth", description = "Accounts, sessions and tokens"),
        (name = "tasks", description = "The signed-in user's tasks and labels; `{user_id}` must be the caller's own id"),
        (name = "service", description = "Health, documentation and metrics"),
    ),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// `bearer` (paste an access token), `oauth2` (password flow against
/// the form login, which Swagger UI's Authorize button uses) and
/// `personal_access_token` (paste a `tp_pat_…` token).
struct SecuritySchemes;

/// The scope an [`Access::Account`] operation names: signed-in sessions
/// only.
const ACCOUNT_SCOPE: &str = "account";

/// Every scope an operation may name, with its meaning.
fn scopes() -> Scopes {
    let mut scopes: Vec<(String, String)> = Scope::ALL
        .into_iter()
        .map(|scope| {
            let meaning = match scope {
                Scope::TasksRead => "Read tasks, the trash and the change log",
                Scope::TasksWrite => "Create, change, move, delete and restore tasks",
                Scope::LabelsRead => "Read labels",
                Scope::LabelsWrite => "Create, rename and delete labels",
            };
            (scope.as_str().to_owned(), meaning.to_owned())
        })
        .collect();
    scopes.push((
        ACCOUNT_SCOPE.to_owned(),
        "The account, its sessions, tokens and password: access tokens from sign-in only, \
         never a personal access token"
            .to_owned(),
    ));
    scopes.into_iter().collect()
}

/// The security requirement of an operation that asks for `access`: none
/// (`{}`) for a public one, else the schemes that may carry it, each
/// naming the scope it needs.
fn security(access: Access) -> Vec<SecurityRequirement> {
    let scope = match access {
        Access::Public => return vec![SecurityRequirement::default()],
        Access::Account => ACCOUNT_SCOPE,
        Access::Scoped(scope) => scope.as_str(),
    };
    let mut schemes = vec!["bearer", "oauth2"];
    if matches!(access, Access::Scoped(_)) {
        schemes.push("personal_access_token");
    }
    schemes
        .into_iter()
        .map(|scheme| SecurityRequirement::new(scheme, [scope]))
        .collect()
}

/// Documents the 403 that a personal access token gets from an operation
/// that does not admit it, unless the operation documents a 403 already.
fn document_insufficient_scope(operation: &mut Operation, access: Access) {
    let description = match access {
        Access::Public => return,
        Access::Account => {
            "`INSUFFICIENT_SCOPE`: a personal access token, which never reaches this operation"
                .to_owned()
        }
        Access::Scoped(scope) => {
            format!("`INSUFFICIENT_SCOPE`: a personal access token without `{scope}`")
        }
    };
    operation
        .responses
        .responses
        .entry("403".to_owned())
        .or_insert_with(|| RefOr::T(ResponseBuilder::new().description(description).build()));
}

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from register, login or refresh"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(
                    "/api/v1/auth/login/access-token",
                    scopes(),
                ))],
                "OAuth2 password flow: your email as the username",
            )),
        );
        components.add_security_scheme(
            "personal_access_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tp_pat_…")
                    .description(Some(
                        "A personal access token from `POST /api/v1/auth/tokens`: only the \
                         operations that name one of its scopes",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document of `endpoints`.
pub fn document(endpoints: &[Endpoint]) -> Document {
    let mut document = ApiDoc::openapi();
    let mut paths = Paths::new();
    for endpoint in endpoints {
        let mut operation = endpoint.operation();
        operation.tags = Some(vec![endpoint.tag.to_owned()]);
        operation.security = Some(security(endpoint.access));
        document_insufficient_scope(&mut operation, endpoint.access);
        complete_responses(&mut operation);
        paths.add_path_operation(&endpoint.path, vec![endpoint.http_method()], operation);
    }
    document.paths = paths;
    document
}

/// One error of each kind, to draw the examples from.
fn samples() -> Vec<ApiError> {
    vec![
        ApiError::BadRequest("Malformed JSON body".into()),
        ApiError::InvalidResetToken,
        ApiError::Unauthorized,
        ApiError::InvalidCredentials,
        ApiError::WrongPassword,
        ApiError::AccountDisabled,
        ApiError::InsufficientScope(Some(Scope::TasksWrite)),
        ApiError::NotFound,
        ApiError::EmailTaken,
        ApiError::IdempotencyInProgress,
        ApiError::PreconditionFailed,
        ApiError::SyncCursorExpired,
        ApiError::PayloadTooLarge,
        ApiError::UnsupportedMediaType,
        ApiError::invalid("title", "must be 1 to 200 characters"),
        ApiError::IdempotencyKeyReused,
        ApiError::RateLimited(3),
        ApiError::AccountLocked(900),
        ApiError::Unavailable,
    ]
}

/// The example of an error answer: the first code in backticks in its
/// description (`` `EMAIL_TAKEN`: … ``), else the first error of `status`.
fn error_example(status: u16, description: &str) -> Option<serde_json::Value> {
    let samples = samples();
    let named = description
        .split('`')
        .skip(1)
        .step_by(2)
        .find_map(|code| samples.iter().find(|e| e.code() == code));
    let sample = named.or_else(|| samples.iter().find(|e| e.status_code().as_u16() == status))?;
    serde_json::from_str(&sample.body(Some(EXAMPLE_REQUEST_ID))).ok()
}

fn header(description: &str, schema_type: Type) -> RefOr<utoipa::openapi::header::Header> {
    RefOr::T(
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(schema_type)))
            .description(Some(description))
            .build(),
    )
}

/// Adds to each answer of `operation` the headers every answer has, and to
/// each error answer without a body the error body and its headers.
fn complete_responses(operation: &mut Operation) {
    for (status, response) in &mut operation.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        response.headers.insert(
            "X-Request-Id".into(),
            header(
                "The request's own id when it is 1–128 visible ASCII characters, else a new one",
                Type::String,
            ),
        );
        let status: u16 = status.parse().unwrap_or_default();
        if status >= 400 && response.content.is_empty() {
            add_error_body(status, response);
        }
    }
}

fn add_error_body(status: u16, response: &mut Response) {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .example(error_example(status, &response.description))
        .build();
    response
        .content
        .insert("application/json".into(), content.into());
    match status {
        401 => {
            response.headers.insert(
                "WWW-Authenticate".into(),
                header("`Bearer` (on `UNAUTHORIZED`)", Type::String),
            );
        }
        403 => {
            response.headers.insert(
                "WWW-Authenticate".into(),
                header(
                    "`Bearer error=\"insufficient_scope\", scope=\"…\"` (on `INSUFFICIENT_SCOPE`)",
                    Type::String,
                ),
            );
        }
        429 | 503 => {
            response.headers.insert(
                "Retry-After".into(),
                header("Seconds to wait before retrying", Type::Integer),
            );
        }
        _ => {}
    }
}
