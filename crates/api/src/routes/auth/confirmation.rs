//! The password that confirms a destructive action on the caller's
//! account or sessions.

use actix_web::HttpRequest;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{json_body, required};

/// The caller's password, confirming a destructive action.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = PasswordConfirmation)]
pub(crate) struct PasswordBody {
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// The confirmation password of a body `{password}`.
pub(super) fn confirmation(req: &HttpRequest, body: &[u8]) -> Result<String, ApiError> {
    let body: PasswordBody = json_body(req, body)?;
    required("password", body.password)
}
