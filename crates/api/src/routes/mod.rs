//! Route table: canonical routes and the original backends' aliases.

pub mod auth;
pub mod service;
pub mod tasks;

use actix_web::web;

use crate::error::ApiError;
use crate::rate_limit::RateLimit;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig, limit: &RateLimit) {
    service::configure(cfg);
    auth::configure(cfg, limit);
    tasks::configure(cfg);
}

/// Answers unknown routes.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
