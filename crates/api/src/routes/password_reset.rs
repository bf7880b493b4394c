//! `/api/v1/auth/forgot-password` and `/api/v1/auth/reset-password`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use taskpulse_domain::user::Password;

use crate::client::client_of;
use crate::dto::DetailBody;
use crate::error::ApiError;
use crate::extract::{Fields, address, json_body, required};
use crate::routes::{Endpoint, PUBLIC};
use crate::state::AppState;

/// The password-reset endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_forgot_password>(PUBLIC, || web::route().to(forgot_password))
            .rate_limited(),
        Endpoint::of::<__path_reset_password>(PUBLIC, || web::route().to(reset_password)),
    ]
}

/// The email of a forgotten password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ForgotPasswordRequest)]
pub(crate) struct ForgotBody {
    #[schema(value_type = String, required = true, format = "email", example = "ada@example.com")]
    email: Option<String>,
}

/// Sends a reset link if an account has this email; the answer is the same
/// whether or not one does.
#[utoipa::path(
    post, path = "/api/v1/auth/forgot-password", operation_id = "forgot_password",
    request_body = ForgotBody,
    responses(
        (status = 202, description = "If the account exists, a reset link is on its way", body = DetailBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`email` is missing or is not an email address"),
        (status = 429, description = "`RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn forgot_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ForgotBody = json_body(&req, &body)?;
    let email = address(&required("email", body.email)?)?;
    state
        .resets
        .forgot_password(&email, &client_of(&req))
        .await?;
    Ok(HttpResponse::Accepted().json(DetailBody::new(
        "If an account has this email, a link to reset its password has been sent.",
    )))
}

/// A reset token from the email and the new password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ResetPasswordRequest)]
pub(crate) struct ResetBody {
    #[schema(value_type = String, required = true)]
    token: Option<String>,
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128)]
    new_password: Option<String>,
}

/// Sets a new password with an emailed token: every earlier access and
/// refresh token stops working, and a lock-out is lifted.
#[utoipa::path(
    post, path = "/api/v1/auth/reset-password", operation_id = "reset_password",
    request_body = ResetBody,
    responses(
        (status = 204, description = "The password is set"),
        (status = 400, description = "`INVALID_RESET_TOKEN` (unknown, expired or used), or not a JSON object"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field is missing, or the new password breaks a rule"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ResetBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let token = fields.text("token", body.token);
    let new = fields.required(
        "new_password",
        body.new_password.as_deref(),
        Password::parse,
    );
    fields.finish()?;
    let (Some(token), Some(new)) = (token, new) else {
        return Err(ApiError::Internal);
    };
    state
        .resets
        .reset_password(&token, &new, &client_of(&req))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
