//! `/me` and `/change-password`: the signed-in user's own account.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use taskpulse_domain::ProfileChanges;
use taskpulse_domain::user::{Email, Password, UserName};

use super::aliases;
use super::confirmation::{PasswordBody, confirmation};
use crate::dto::UserBody;
use crate::error::ApiError;
use crate::extract::{AuthUser, Fields, json_body};
use crate::routes::{ACCOUNT, Endpoint};
use crate::state::AppState;

/// Read, update and delete `/me` (each also at the original backends'
/// path), and change the password.
pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_me>(ACCOUNT, || web::route().to(me)).with_aliases(me_aliases()),
        Endpoint::of::<__path_update_me>(ACCOUNT, || web::route().to(update_me))
            .with_aliases(me_aliases()),
        Endpoint::of::<__path_delete_me>(ACCOUNT, || web::route().to(delete_me))
            .with_aliases(me_aliases()),
        Endpoint::of::<__path_change_password>(ACCOUNT, || web::route().to(change_password)),
    ]
}

/// The original backends' paths of `/api/v1/auth/me`: every method of the
/// canonical path answers there too.
fn me_aliases() -> Vec<String> {
    aliases("/api/v1/auth/me", &["me"])
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/auth/me", operation_id = "get_me",
    responses(
        (status = 200, description = "The signed-in user", body = UserBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::from(user.0.user))
}

/// Profile changes; absent (or `null`) fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = UpdateProfileRequest)]
pub(crate) struct ProfileBody {
    /// 1–100 characters after trimming; no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        example = "Ada Lovelace",
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$"
    )]
    name: Option<String>,
    /// A new email; needs `current_password`. It takes effect when the link
    /// mailed to it is followed (`/api/v1/auth/verify-email`); the current
    /// address is told.
    #[schema(format = Email, max_length = 254, example = "ada@example.org")]
    email: Option<String>,
    /// The current password, required to change the email.
    #[schema(format = Password)]
    current_password: Option<String>,
}

/// Changes the signed-in user's name, and asks for a change of their
/// email: the answer shows the account as it is until the new address's
/// link is followed.
#[utoipa::path(
    patch, path = "/api/v1/auth/me", operation_id = "update_me",
    request_body = ProfileBody,
    responses(
        (status = 200, description = "The user, renamed; an email change waits for its link", body = UserBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`"),
        (status = 409, description = "`EMAIL_TAKEN`: the email is registered already"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule, or `current_password` is missing for an email change"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn update_me(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ProfileBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let name = body
        .name
        .as_deref()
        .and_then(|raw| fields.parse("name", raw, UserName::parse));
    let email = body
        .email
        .as_deref()
        .and_then(|raw| fields.parse("email", raw, Email::parse));
    fields.finish()?;
    let changes = ProfileChanges {
        name,
        email,
        current_password: body.current_password,
    };
    let updated = state.auth.update_profile(&user.0, changes).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(updated)))
}

/// A password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ChangePasswordRequest)]
pub(crate) struct ChangePasswordBody {
    #[schema(value_type = String, required = true, format = Password)]
    current_password: Option<String>,
    /// 8–128 characters, not among the most common passwords, and not
    /// guessable (zxcvbn score 3 or more: a random one needs about 10).
    #[schema(value_type = String, required = true, format = Password, min_length = 8, max_length = 128)]
    new_password: Option<String>,
}

/// Sets a new password; every access and refresh token issued before
/// stops working (sign in again).
#[utoipa::path(
    post, path = "/api/v1/auth/change-password", operation_id = "change_password",
    request_body = ChangePasswordBody,
    responses(
        (status = 204, description = "Changed; every session has ended"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field is missing or the new password breaks a rule"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn change_password(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ChangePasswordBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let current = fields.text("current_password", body.current_password);
    let new = fields.required(
        "new_password",
        body.new_password.as_deref(),
        Password::parse,
    );
    fields.finish()?;
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Internal);
    };
    state.auth.change_password(&user.0, &current, &new).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes the signed-in user and all their tasks.
#[utoipa::path(
    delete, path = "/api/v1/auth/me", operation_id = "delete_me",
    request_body = PasswordBody,
    responses(
        (status = 204, description = "The account and its tasks are deleted"),
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
async fn delete_me(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let password = confirmation(&req, &body)?;
    state.auth.delete_account(&user.0, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}
