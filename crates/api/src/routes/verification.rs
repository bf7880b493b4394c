//! `/api/v1/auth/verify-email` and `/api/v1/auth/verify-email/resend`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::client::client_of;
use crate::dto::DetailBody;
use crate::error::ApiError;
use crate::extract::{address, json_body, required};
use crate::routes::{Endpoint, PUBLIC};
use crate::state::AppState;

/// The email-verification endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_verify_email>(PUBLIC, || web::route().to(verify_email)),
        Endpoint::of::<__path_resend_verification>(PUBLIC, || web::route().to(resend_verification))
            .rate_limited(),
    ]
}

/// The token from a verification email.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = VerifyEmailRequest)]
pub(crate) struct VerifyBody {
    #[schema(value_type = String, required = true)]
    token: Option<String>,
}

/// Follows a verification link: the address it was sent to becomes the
/// account's email, verified (for a change of address, the change takes
/// effect now). No access token needed: the token is the proof.
#[utoipa::path(
    post, path = "/api/v1/auth/verify-email", operation_id = "verify_email",
    request_body = VerifyBody,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, description = "`INVALID_VERIFICATION_TOKEN` (unknown, expired or used), or not a JSON object"),
        (status = 409, description = "`EMAIL_TAKEN`: another account took the address meanwhile"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`token` is missing"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: VerifyBody = json_body(&req, &body)?;
    let token = required("token", body.token)?;
    state.auth.verify_email(&token, &client_of(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The address to send the verification link to again.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ResendVerificationRequest)]
pub(crate) struct ResendBody {
    #[schema(value_type = String, required = true, format = "email", example = "ada@example.com")]
    email: Option<String>,
}

/// Sends the verification link again if an active account has this email
/// unverified (at most three a hour per account); the answer is the same
/// whether or not one does.
#[utoipa::path(
    post, path = "/api/v1/auth/verify-email/resend", operation_id = "resend_verification",
    request_body = ResendBody,
    responses(
        (status = 202, description = "If such an account exists, a link is on its way", body = DetailBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`email` is missing or is not an email address"),
        (status = 429, description = "`RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ResendBody = json_body(&req, &body)?;
    let email = address(&required("email", body.email)?)?;
    state.auth.resend_verification(&email).await?;
    Ok(HttpResponse::Accepted().json(DetailBody::new(
        "If an account has this address unconfirmed, a link to confirm it has been sent.",
    )))
}
