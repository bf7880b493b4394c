//! Route table: canonical routes and the original backends' aliases.

pub mod auth;
pub mod service;
pub mod tasks;

use actix_web::web;

use crate::error::ApiError;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    service::configure(cfg);
    auth::configure(cfg);
    tasks::configure(cfg);
}

/// Answers unknown routes.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
